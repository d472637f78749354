// Suite sso: exercise CP-02.2 against the kit's test identity providers, named in
// endpoints.json `idps` (contracts §1): entra, okta and google (OIDC in each vendor's
// shape), saml (SAML 2.0), and mismatch (an IdP that answers as another issuer than the
// one configured). In Chromium each provider's user signs in and must land with the role
// the seed's section-6 roleMapping gives them; Entra ID group overage must give the
// default role; the issuer mismatch must be refused with a clear page. The users and
// their passwords are the fixtures' (fixtures/idp/*.yaml).
import { join } from 'node:path';
import { loadFixture } from '../../harness/src/drivers/idp/fixture.js';
import type { Scenario, ScenarioContext, Suite } from '../../harness/src/runner/scenario.js';
import { KIT_ROOT } from '../../harness/src/util/paths.js';
import { TROUBLESHOOTING } from '../common/remediation.js';
import { browserSignIn, type Landing } from './flow.js';

/** Names the kit's test IdPs have in endpoints.json `idps`. */
export type TestIdp = 'entra' | 'okta' | 'google' | 'saml' | 'mismatch';

async function passwordOf(fixture: string, username: string): Promise<string> {
  const f = await loadFixture(join(KIT_ROOT, 'fixtures', 'idp', `${fixture}.yaml`));
  const u = (f.users as { username: string; password: string }[]).find((x) => x.username === username);
  if (!u) throw new Error(`fixtures/idp/${fixture}.yaml has no user ${username}`);
  return u.password;
}

function requireIdp(ctx: ScenarioContext, idp: TestIdp): void {
  if (!ctx.target.endpoints.idps?.[idp])
    ctx.skip(
      `needs the kit's test identity provider "${idp}" named in endpoints.json idps; the local target starts them with up --test-idps (run and validate do by default)`,
    );
}

/** The fix for a refusal, from its reason. */
export function refusalRemediation(reason: string): string {
  // RFC 6749 §5.2: a token endpoint that rejects the client's authentication answers 401
  // invalid_client, with a WWW-Authenticate challenge when the client used HTTP Basic
  if (/invalid_client|client authentication|client credentials|WWW-Authenticate/i.test(reason))
    return TROUBLESHOOTING.oidcClientSecret;
  if (/redirect_uri|callback/i.test(reason)) return TROUBLESHOOTING.oauth;
  if (/different issuer/i.test(reason))
    return 'The configured issuer must be exactly the issuer the IdP publishes in its discovery document (/.well-known/openid-configuration), including scheme, host, port and path: fix `issuer` in AUTH_CONFIG_FILE or OAUTH_ISSUER.';
  if (/verified the domain|organization/i.test(reason)) return TROUBLESHOOTING.ssoDomain;
  if (/could not be read|unavailable/i.test(reason))
    return "The api cannot read the identity provider's discovery document: check that the issuer URL is right and reachable from the api (DNS, proxy, firewall).";
  return `${TROUBLESHOOTING.oauth} The api log names the refusal (look for "sign-in refused" and the request id shown on the page).`;
}

interface SignInCase {
  id: string;
  title: string;
  idp: Exclude<TestIdp, 'mismatch'>;
  fixture: string;
  username: string;
  email: string;
  role: 'admin' | 'editor' | 'viewer';
  /** what the role follows from (for the check title and the remediation) */
  because: string;
  roleFix: string;
  dependsOn?: string[];
}

function signInScenario(c: SignInCase): Scenario {
  const button = c.idp === 'saml' ? '/auth/saml/login' : `/auth/oidc/${c.idp}/login`;
  // the whoami page says "<protocol> (<provider name>)"
  const method = c.idp === 'saml' ? 'saml (saml)' : `oidc (${c.idp})`;
  return {
    id: c.id,
    title: c.title,
    needs: ['browser'],
    dependsOn: ['cp-02.health', ...(c.dependsOn ?? [])],
    timeoutMs: 60_000,
    async run(ctx) {
      requireIdp(ctx, c.idp);
      const password = await passwordOf(c.fixture, c.username);
      const l: Landing = await browserSignIn(ctx, { button, username: c.username, password, label: c.idp });
      const signedIn = l.who !== undefined;
      ctx.check({
        id: 'signed-in',
        title: `${c.username} signs in through the ${c.idp} test IdP in Chromium and lands on /auth/whoami`,
        pass: signedIn,
        expected: 'the whoami page of the control plane',
        actual: signedIn
          ? `landed on ${l.url}`
          : l.refused
            ? `${l.refused.status ?? ''} ${l.refused.title}: ${l.refused.reason}`.trim()
            : `${l.error ?? 'no landing page'} (at ${l.url})`,
        remediation: l.refused
          ? refusalRemediation(l.refused.reason)
          : `${TROUBLESHOOTING.oauth} See the screenshot and the steps the browser took.`,
        evidence: [l.screenshot, signedIn ? undefined : await ctx.logExcerpt('api', 30)],
      });
      if (!signedIn) return;
      ctx.check({
        id: 'identity',
        title: `the session is ${c.email}'s, signed in with ${method}`,
        pass: l.who!.email === c.email && l.who!.method === method,
        expected: { email: c.email, method },
        actual: { email: l.who!.email, method: l.who!.method },
        remediation:
          'The attribute mapping takes the e-mail from the wrong claim: check attributeMapping (email) of the provider in AUTH_CONFIG_FILE (seed section 6).',
        evidence: [l.screenshot],
      });
      ctx.check({
        id: 'role',
        title: `${c.username} has the role ${c.role} (${c.because})`,
        pass: l.who!.role === c.role,
        expected: c.role,
        actual: l.who!.role,
        remediation: c.roleFix,
        evidence: [l.screenshot],
      });
      ctx.check({
        id: 'api-session',
        title: 'the browser session works for the API: GET /api/v1/me names the same user and role',
        pass: l.me?.status === 200 && l.me.role === c.role && l.me.email === c.email,
        expected: { status: 200, role: c.role, email: c.email },
        actual: l.me ?? 'not asked',
        remediation:
          'The single sign-on session is not accepted by the API: check that the gateway forwards the session cookie to the api (/api/ location) and the api logs.',
      });
    },
  };
}

const ROLE_FIX_GROUPS =
  "Check the provider's roleMapping in AUTH_CONFIG_FILE (group -> role, seed section 6) and that the IdP sends the groups claim (Entra ID: Token configuration > Add groups claim; Okta: the groups scope and a groups claim filter; SAML: the isMemberOf attribute).";

export const entraLogin = signInScenario({
  id: 'sso.entra-login',
  title: 'Entra ID shape: an admin-group member signs in in Chromium and gets the admin role',
  idp: 'entra',
  fixture: 'entra',
  username: 'alice@customer.test',
  email: 'alice@customer.test',
  role: 'admin',
  because: 'groups claim 12345678-1234-1234-1234-123456789012 -> admin',
  roleFix: ROLE_FIX_GROUPS,
});

export const entraOverage = signInScenario({
  id: 'sso.entra-overage',
  title:
    'Entra ID group overage: a user whose token names a Graph source instead of groups gets the default role',
  idp: 'entra',
  fixture: 'entra',
  username: 'dave@customer.test',
  email: 'dave@customer.test',
  role: 'viewer',
  because:
    'overage: _claim_names/_claim_sources instead of groups -> the default role, never an elevated one',
  roleFix:
    'With group overage the ID token lists no groups (it points at Microsoft Graph in _claim_names/_claim_sources): the service must give the default role and log it, never guess an elevated one. Assign roles through a group claim filter, app roles, or fewer groups per user.',
  dependsOn: ['sso.entra-login'],
});

export const oktaLogin = signInScenario({
  id: 'sso.okta-login',
  title: 'Okta shape: an AIGOS-Admins member signs in in Chromium and gets the admin role',
  idp: 'okta',
  fixture: 'okta',
  username: 'olivia@customer.test',
  email: 'olivia@customer.test',
  role: 'admin',
  because: 'groups claim AIGOS-Admins -> admin (groups scope)',
  roleFix: ROLE_FIX_GROUPS,
});

export const googleLogin = signInScenario({
  id: 'sso.google-login',
  title: 'Google Workspace shape: a user of the hosted domain signs in in Chromium and gets the default role',
  idp: 'google',
  fixture: 'google',
  username: 'gina@customer.test',
  email: 'gina@customer.test',
  role: 'viewer',
  because: 'Google sends no groups: the default role',
  roleFix:
    'Google Workspace sends no groups claim: every user gets the roleMapping default (viewer unless configured); raise roles in the control plane, not through the IdP.',
});

export const samlLogin = signInScenario({
  id: 'sso.saml-login',
  title: 'SAML 2.0: a member of cn=aigos-admins signs in in Chromium and gets the admin role',
  idp: 'saml',
  fixture: 'saml',
  username: 'sam',
  email: 'sam@customer.test',
  role: 'admin',
  because: 'isMemberOf cn=aigos-admins,ou=groups,dc=customer,dc=com -> admin',
  roleFix: ROLE_FIX_GROUPS,
});

export const issuerMismatch: Scenario = {
  id: 'sso.issuer-mismatch',
  title: 'An identity provider that answers as another issuer than configured is refused with a clear page',
  needs: ['browser'],
  dependsOn: ['cp-02.health'],
  timeoutMs: 60_000,
  async run(ctx) {
    requireIdp(ctx, 'mismatch');
    const configured = ctx.target.endpoints.idps!.mismatch!.issuer ?? '';
    const l = await browserSignIn(ctx, {
      button: '/auth/oidc/mismatch/login',
      username: 'olivia@customer.test',
      password: await passwordOf('okta', 'olivia@customer.test'),
      label: 'mismatch',
    });
    ctx.check({
      id: 'not-signed-in',
      title: 'no session is created with a provider whose issuer does not match',
      pass: l.who === undefined,
      expected: 'no sign-in',
      actual: l.who ? `signed in as ${l.who.email} (${l.who.role})` : 'not signed in',
      remediation:
        'The service accepted an identity provider whose discovery document names another issuer than the configured one: it must compare the issuer exactly (OpenID Connect Discovery 1.0 §4.3, RFC 9207) and refuse.',
      evidence: [l.screenshot],
    });
    const reason = l.refused?.reason ?? '';
    ctx.check({
      id: 'clear-refusal',
      title: 'the browser shows a refusal page that names the issuer mismatch and the configured issuer',
      pass:
        l.refused !== undefined &&
        (l.refused.status ?? 500) >= 400 &&
        /different issuer/i.test(reason) &&
        reason.includes(configured),
      expected: `an error page (4xx/5xx): "... answered as a different issuer than the configured ${configured}"`,
      actual: l.refused
        ? `${l.refused.status ?? ''} ${l.refused.title}: ${reason}`.trim()
        : (l.error ?? `landed on ${l.url}`),
      remediation:
        'Refuse the sign-in with a page that says why (the issuer mismatch and the configured issuer) and log it, instead of a generic error or a stack trace.',
      evidence: [l.screenshot],
    });
  },
};

export const suite: Suite = {
  id: 'sso',
  title: 'Single sign-on (exercise CP-02.2): OIDC shapes, SAML, overage, issuer mismatch',
  scenarios: [entraLogin, entraOverage, oktaLogin, googleLogin, samlLogin, issuerMismatch],
};
