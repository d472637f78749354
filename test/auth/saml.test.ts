// SAML 2.0 single sign-on against the test IdP (signed assertions built with xml-crypto,
// HTTP-Redirect in, HTTP-POST out) and an api + gateway configured with the seed's
// `auth.saml` block. Chromium signs in and out (SP-initiated single logout). Responses
// built with the IdP's own key check each rejection: unsigned or foreign-signed
// assertions, audience, recipient, destination, issuer, clock skew beyond 60 s (and
// acceptance within it), replay of a response or an assertion, unsolicited responses,
// a response posted into another browser, and an unverified e-mail domain.
import { inflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium, type LaunchedBrowser } from '../../harness/src/drivers/browser.js';
import { loadFixture } from '../../harness/src/drivers/idp/fixture.js';
import {
  buildLogoutRequest,
  buildResponse,
  generateSigningMaterial,
  samlId,
  signedRedirectQuery,
  toPostParam,
  type ResponseOptions,
} from '../../harness/src/drivers/idp/saml/messages.js';
import { startSamlIdp, type RunningSamlIdp } from '../../harness/src/drivers/idp/saml/idp.js';
import { freePort, ROOT, TestDeployment } from '../support/harness.js';
import {
  Agent,
  type AuthStack,
  createOrg,
  follow,
  freshAddress,
  logLines,
  startAuthStack,
  withDb,
} from './support.js';

const OID = {
  uid: 'urn:oid:0.9.2342.19200300.100.1.1',
  mail: 'urn:oid:0.9.2342.19200300.100.1.3',
  cn: 'urn:oid:2.5.4.3',
  isMemberOf: 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1',
};
const ADMINS = 'cn=aigos-admins,ou=groups,dc=customer,dc=com';

let dep: TestDeployment;
let stack: AuthStack;
let idp: RunningSamlIdp;
let base: string;
let acs: string;
let slo: string;

beforeAll(async () => {
  dep = await TestDeployment.start();
  await createOrg(dep, 'customer', [{ domain: 'customer.test', verified: true }]);
  const gatewayPort = await freePort();
  base = `http://127.0.0.1:${gatewayPort}`;
  acs = `${base}/auth/saml/callback`;
  slo = `${base}/auth/saml/logout`;
  const fixture = await loadFixture(join(ROOT, 'fixtures', 'idp', 'saml.yaml'));
  if (fixture.kind !== 'saml') throw new Error('fixtures/idp/saml.yaml is not a SAML fixture');
  idp = await startSamlIdp(fixture, {
    port: await freePort(),
    host: '127.0.0.1',
    serviceProvider: { entityId: base, acsUrl: acs, sloUrl: slo },
  });
  stack = await startAuthStack(dep, {
    gatewayPort,
    // the negative cases post several responses per second from one client; the /auth
    // rate limit itself is tested in local.test.ts
    env: { AUTH_RATE_LIMIT_BURST: '100' },
    auth: {
      auth: {
        local: { enabled: true },
        saml: {
          enabled: true,
          label: 'Customer SAML',
          entryPoint: idp.ssoUrl,
          issuer: base,
          idpIssuer: idp.entityId,
          cert: idp.certificate,
          callbackUrl: acs,
          logoutUrl: slo,
          idpLogoutUrl: idp.sloUrl,
          attributeMapping: { id: OID.uid, email: OID.mail, name: OID.cn, groups: OID.isMemberOf },
          roleMapping: {
            [ADMINS]: 'admin',
            'cn=aigos-editors,ou=groups,dc=customer,dc=com': 'editor',
            'cn=aigos-users,ou=groups,dc=customer,dc=com': 'viewer',
            default: 'viewer',
          },
        },
      },
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await idp?.close();
  await dep?.destroy();
});

const agent = () => new Agent(base, { xff: freshAddress() });

/** SP-initiated start: the AuthnRequest's ID and the RelayState, with the binding cookie set on `sp`. */
async function startLogin(sp: Agent): Promise<{ requestId: string; relayState: string; redirect: URL }> {
  const r = await sp.get('/auth/saml/login');
  expect(r.status).toBe(303);
  const redirect = new URL(r.location!);
  const xml = inflateRawSync(Buffer.from(redirect.searchParams.get('SAMLRequest')!, 'base64')).toString(
    'utf8',
  );
  return {
    requestId: /\sID="([^"]+)"/.exec(xml)![1]!,
    relayState: redirect.searchParams.get('RelayState')!,
    redirect,
  };
}

function response(requestId: string, over: Partial<ResponseOptions> = {}): string {
  return buildResponse({
    idpEntityId: idp.entityId,
    audience: base,
    recipient: acs,
    destination: acs,
    inResponseTo: requestId,
    nameId: 'sam@customer.test',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    sessionIndex: samlId(),
    attributes: {
      [OID.uid]: 'sam',
      [OID.mail]: 'sam@customer.test',
      [OID.cn]: 'Sam Admin',
      [OID.isMemberOf]: [ADMINS],
    },
    signing: idp.signing!,
    ...over,
  });
}

const post = (sp: Agent, xml: string, relayState: string) =>
  sp.request('POST', '/auth/saml/callback', {
    form: { SAMLResponse: toPostParam(xml), RelayState: relayState },
  });

/** The whole flow over HTTP: SP -> IdP login form -> auto-post form -> ACS -> landing page. */
async function samlSignIn(sp: Agent, idpAgent: Agent, username: string, password: string) {
  const first = await sp.get('/auth/saml/login');
  idpAgent.base = idp.url;
  const redirect = new URL(first.location!);
  let page = await idpAgent.get(redirect.pathname + redirect.search);
  if (page.text.includes('action="/sso/login"')) {
    const uid = /name="uid" value="([^"]+)"/.exec(page.text)![1]!;
    page = await idpAgent.request('POST', '/sso/login', { form: { uid, username, password } });
  }
  const SAMLResponse = /name="SAMLResponse" value="([^"]+)"/.exec(page.text)?.[1];
  const RelayState = /name="RelayState" value="([^"]+)"/.exec(page.text)?.[1];
  if (!SAMLResponse) throw new Error(`no SAML response from the IdP: ${page.text.slice(0, 300)}`);
  const back = await sp.request('POST', '/auth/saml/callback', {
    form: { SAMLResponse, RelayState: RelayState ?? '' },
  });
  return follow({ sp, idp: idpAgent }, back);
}

async function roleOf(a: Agent) {
  const s = await a.get<{ role: string; user: { email: string }; method: string }>('/auth/session');
  return { status: s.status, role: s.body?.role, email: s.body?.user?.email, method: s.body?.method };
}

async function expectRefused(
  r: { status: number; text: string } | Promise<{ status: number; text: string }>,
  code: string,
  reason: RegExp,
) {
  const res = await r;
  expect(res.status, res.text.slice(0, 400)).toBeGreaterThanOrEqual(400);
  expect(res.text).toMatch(/Sign-in refused/);
  expect(res.text).toMatch(reason);
  // the log line says why (logs are written asynchronously: give them a moment)
  const deadline = Date.now() + 3_000;
  while (logLines(stack.api, (l) => l.code === code).length === 0 && Date.now() < deadline)
    await new Promise((x) => setTimeout(x, 100));
  expect(logLines(stack.api, (l) => l.code === code).length, `log line with code ${code}`).toBeGreaterThan(0);
}

describe('SAML service provider', () => {
  it('publishes SP metadata (ACS, single logout, signed assertions wanted)', async () => {
    const r = await agent().get('/auth/saml/metadata');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/samlmetadata\+xml/);
    expect(r.text).toContain(`entityID="${base}"`);
    expect(r.text).toMatch(
      new RegExp(`AssertionConsumerService[^>]+Location="${acs.replace(/[.]/g, '\\.')}"`),
    );
    expect(r.text).toMatch(/WantAssertionsSigned="true"/);
    expect(r.text).toContain(`Location="${slo}"`);
  });

  it('signs users in with attributes by OID name and roles by group DN (just in time)', async () => {
    for (const [user, pw, role] of [
      ['sam', 'Sam-Saml-Pass-1', 'admin'],
      ['erin', 'Erin-Saml-Pass-1', 'editor'],
      ['sue', 'Sue-Saml-Pass-1', 'viewer'],
    ] as const) {
      const a = agent();
      const out = await samlSignIn(a, new Agent(idp.url), user, pw);
      expect(out.url.pathname).toBe('/auth/whoami');
      expect(await roleOf(a)).toMatchObject({ role, email: `${user}@customer.test`, method: 'saml' });
    }
    const id = await withDb(dep, (c) =>
      c.query(`SELECT subject, protocol FROM user_identities WHERE email = 'erin@customer.test'`),
    );
    expect(id.rows).toEqual([{ subject: 'erin', protocol: 'saml' }]);
  });

  it('accepts a response built with the IdP key (control for the negative cases)', async () => {
    const a = agent();
    const { requestId, relayState } = await startLogin(a);
    const r = await post(a, response(requestId), relayState);
    expect(r.status, r.text.slice(0, 300)).toBe(303);
    expect((await roleOf(a)).role).toBe('admin');
  });

  it('requires a signed assertion', async () => {
    const a = agent();
    const s1 = await startLogin(a);
    await expectRefused(
      await post(a, response(s1.requestId, { signAssertion: false }), s1.relayState),
      'SIGNATURE_INVALID',
      /not signed by the configured identity provider/,
    );
    // a signed Response around an unsigned assertion is not enough either
    const s2 = await startLogin(a);
    await expectRefused(
      await post(a, response(s2.requestId, { signAssertion: false, signResponse: true }), s2.relayState),
      'SIGNATURE_INVALID',
      /not signed/,
    );
    // signed, but with a key the deployment does not trust
    const s3 = await startLogin(a);
    await expectRefused(
      await post(a, response(s3.requestId, { signing: generateSigningMaterial('intruder') }), s3.relayState),
      'SIGNATURE_INVALID',
      /not signed/,
    );
    // tampering after signing breaks the signature
    const s4 = await startLogin(a);
    const tampered = response(s4.requestId, {
      attributes: { [OID.uid]: 'sue', [OID.mail]: 'sue@customer.test', [OID.isMemberOf]: ['x'] },
    }).replace('>x<', `>${ADMINS}<`);
    await expectRefused(await post(a, tampered, s4.relayState), 'SIGNATURE_INVALID', /not signed/);
    expect((await roleOf(a)).status).toBe(401);
  });

  it('checks audience, recipient, destination and issuer', async () => {
    const a = agent();
    const s1 = await startLogin(a);
    await expectRefused(
      await post(a, response(s1.requestId, { audience: 'https://another-sp.example' }), s1.relayState),
      'AUDIENCE_MISMATCH',
      /meant for another service/,
    );
    const s2 = await startLogin(a);
    await expectRefused(
      await post(a, response(s2.requestId, { recipient: 'https://another-sp.example/acs' }), s2.relayState),
      'RECIPIENT_MISMATCH',
      /another recipient/,
    );
    const s3 = await startLogin(a);
    await expectRefused(
      await post(a, response(s3.requestId, { destination: 'https://another-sp.example/acs' }), s3.relayState),
      'DESTINATION_MISMATCH',
      /was sent to https:\/\/another-sp\.example\/acs/,
    );
    const s4 = await startLogin(a);
    await expectRefused(
      await post(a, response(s4.requestId, { destination: null }), s4.relayState),
      'DESTINATION_MISMATCH',
      /no destination/,
    );
    const s5 = await startLogin(a);
    await expectRefused(
      await post(a, response(s5.requestId, { idpEntityId: 'https://evil-idp.example' }), s5.relayState),
      'ISSUER_MISMATCH',
      /issued by https:\/\/evil-idp\.example/,
    );
    expect((await roleOf(a)).status).toBe(401);
  });

  it('bounds clock skew at 60 s: within it accepted, beyond it refused', async () => {
    const within = agent();
    const s1 = await startLogin(within);
    // the IdP's clock runs 40 s ahead: NotBefore is 35 s in the future
    expect(
      (await post(within, response(s1.requestId, { now: new Date(Date.now() + 40_000) }), s1.relayState))
        .status,
    ).toBe(303);
    const within2 = agent();
    const s2 = await startLogin(within2);
    // expired 30 s ago by the IdP's clock (lifetime 60 s, issued 90 s ago)
    expect(
      (
        await post(
          within2,
          response(s2.requestId, { now: new Date(Date.now() - 90_000), lifetimeSeconds: 60 }),
          s2.relayState,
        )
      ).status,
    ).toBe(303);

    const a = agent();
    const s3 = await startLogin(a);
    await expectRefused(
      await post(a, response(s3.requestId, { now: new Date(Date.now() + 120_000) }), s3.relayState),
      'CLOCK_SKEW',
      /allowed clock skew 60 s/,
    );
    const s4 = await startLogin(a);
    await expectRefused(
      await post(
        a,
        response(s4.requestId, { now: new Date(Date.now() - 180_000), lifetimeSeconds: 60 }),
        s4.relayState,
      ),
      'CLOCK_SKEW',
      /not valid at this time/,
    );
  });

  it('refuses replays: the same response again, and a known assertion in a new response', async () => {
    const a = agent();
    const s1 = await startLogin(a);
    const assertionId = samlId();
    const first = response(s1.requestId, { assertionId });
    expect((await post(a, first, s1.relayState)).status).toBe(303);
    // the same POST again: the RelayState was used
    await expectRefused(await post(a, first, s1.relayState), 'RELAY_STATE_INVALID', /already used/);
    // replayed into a fresh sign-in: InResponseTo names a request already answered
    const s2 = await startLogin(a);
    await expectRefused(
      await post(a, first, s2.relayState),
      'REPLAY_OR_UNSOLICITED',
      /already used, or answers no sign-in request/,
    );
    // a new response for the new request, carrying the already used assertion id
    const s3 = await startLogin(a);
    await expectRefused(
      await post(a, response(s3.requestId, { assertionId }), s3.relayState),
      'ASSERTION_REPLAYED',
      /already used \(replay\)/,
    );
  });

  it('refuses unsolicited responses and responses posted into another browser', async () => {
    const a = agent();
    const s1 = await startLogin(a);
    await expectRefused(
      await post(a, response(s1.requestId, { inResponseTo: undefined }), s1.relayState),
      'REPLAY_OR_UNSOLICITED',
      /InResponseTo/,
    );
    // login CSRF: the attacker's own valid response, posted from the victim's browser
    const attacker = agent();
    const s2 = await startLogin(attacker);
    const victim = agent();
    await expectRefused(
      await post(victim, response(s2.requestId), s2.relayState),
      'STATE_NOT_BOUND',
      /started in another browser/,
    );
    expect((await roleOf(victim)).status).toBe(401);
  });

  it('refuses a user whose e-mail domain no organization verified', async () => {
    const a = agent();
    const out = await samlSignIn(a, new Agent(idp.url), 'xavier', 'Xavier-Saml-Pass-1');
    await expectRefused(out.res, 'DOMAIN_NOT_VERIFIED', /has verified the domain elsewhere\.test/);
  });

  it('single logout, SP-initiated: the local session ends and so does the IdP session', async () => {
    const a = agent();
    const idpAgent = new Agent(idp.url);
    await samlSignIn(a, idpAgent, 'sam', 'Sam-Saml-Pass-1');
    expect((await roleOf(a)).role).toBe('admin');
    // single sign-on: a second sign-in needs no password at the IdP
    const b = agent();
    const sso = await samlSignIn(b, idpAgent, 'ignored', 'ignored');
    expect(sso.url.pathname).toBe('/auth/whoami');

    const out = await a.request('POST', '/auth/logout', { json: {}, headers: { 'x-csrf-token': a.csrf } });
    expect(out.status).toBe(200);
    const toIdp = new URL(out.body.redirect as string);
    expect(toIdp.origin + toIdp.pathname).toBe(idp.sloUrl);
    expect(toIdp.searchParams.get('SAMLRequest')).toBeTruthy();
    expect((await roleOf(a)).status).toBe(401); // the local session ended at once
    idpAgent.base = idp.url;
    const fromIdp = await idpAgent.get(toIdp.pathname + toIdp.search);
    expect(fromIdp.status).toBe(303);
    const back = new URL(fromIdp.location!);
    expect(back.origin + back.pathname).toBe(slo);
    expect(back.searchParams.get('Signature')).toBeTruthy();
    const done = await a.get(back.pathname + back.search);
    expect(done.status).toBe(303);
    expect(done.location).toBe('/auth/login?signedOut');
    // the IdP asks for the password again
    const first = await agent().get('/auth/saml/login');
    const loc = new URL(first.location!);
    expect((await idpAgent.get(loc.pathname + loc.search)).text).toContain('action="/sso/login"');
  });

  it('single logout, IdP-initiated: a signed LogoutRequest ends the sessions of that NameID; unsigned ones are refused', async () => {
    const a = agent();
    await samlSignIn(a, new Agent(idp.url), 'erin', 'Erin-Saml-Pass-1');
    expect((await roleOf(a)).role).toBe('editor');
    const xml = buildLogoutRequest({
      idpEntityId: idp.entityId,
      destination: slo,
      nameId: 'erin@customer.test',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    });
    const unsigned = `SAMLRequest=${encodeURIComponent((await import('node:zlib')).deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
    const refused = await agent().get(`/auth/saml/logout?${unsigned}`);
    expect(refused.status).toBe(400);
    expect((await roleOf(a)).role).toBe('editor');
    const forged = signedRedirectQuery('SAMLRequest', xml, undefined, generateSigningMaterial('intruder'));
    expect((await agent().get(`/auth/saml/logout?${forged}`)).status).toBe(400);
    const r = await agent().get(
      `/auth/saml/logout?${signedRedirectQuery('SAMLRequest', xml, undefined, idp.signing!)}`,
    );
    expect(r.status).toBe(303);
    const answer = new URL(r.location!);
    expect(answer.origin + answer.pathname).toBe(idp.sloUrl);
    expect(answer.searchParams.get('SAMLResponse')).toBeTruthy();
    expect((await roleOf(a)).status).toBe(401);
  });
});

describe('SAML sign-in in Chromium', () => {
  let browser: LaunchedBrowser;
  beforeAll(async () => {
    const exe = findChromium();
    if (!exe) throw new Error('Chromium is missing: apt-get install -y chromium');
    browser = await launchChromium(exe);
  }, 60_000);
  afterAll(async () => browser?.close());

  for (const [user, pw, role] of [
    ['sam', 'Sam-Saml-Pass-1', 'admin'],
    ['erin', 'Erin-Saml-Pass-1', 'editor'],
  ] as const) {
    it(`${user} signs in through the IdP, lands as ${role}, and signs out at the IdP too`, async () => {
      await browser.context.clearCookies();
      await browser.context.setExtraHTTPHeaders({ 'x-forwarded-for': freshAddress() });
      const page = await browser.context.newPage();
      try {
        await page.goto(`${base}/auth/login`);
        await page.getByRole('link', { name: 'Sign in with Customer SAML' }).click();
        await page.getByLabel('Username').fill(user);
        await page.getByLabel('Password').fill(pw);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${base}/auth/whoami`);
        expect(await page.locator('#who-role').textContent()).toBe(role);
        expect(await page.locator('#who-method').textContent()).toBe('saml (saml)');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(/\/auth\/login\?signedOut/);
        expect(await page.getByRole('status').textContent()).toContain('You are signed out.');
        // the IdP session is gone: signing in again asks for the password
        await page.getByRole('link', { name: 'Sign in with Customer SAML' }).click();
        await page.waitForURL(new RegExp(`^${idp.url}/sso`));
        expect(await page.getByLabel('Password').count()).toBe(1);
      } finally {
        await page.close();
      }
    });
  }
});
