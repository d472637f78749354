// OpenID Connect single sign-on against real providers: the test IdPs (oidc-provider) in
// their Entra ID, Okta and Google Workspace shapes, run as processes on 127.0.0.1, and an
// api + gateway configured with the seed's `auth.oauth` blocks. Chromium signs in through
// each shape and lands with the mapped role; plain HTTP covers every refusal: group
// overage (default role, logged), issuer mismatch, nonce mismatch, ID-token replay,
// callback replay, a callback from another browser, Google `hd` mismatch, unverified
// e-mail, and an e-mail domain no organization verified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium, type LaunchedBrowser } from '../../harness/src/drivers/browser.js';
import { freePort, TestDeployment } from '../support/harness.js';
import {
  Agent,
  type AuthStack,
  createOrg,
  follow,
  freshAddress,
  type IdpProc,
  waitForLog,
  oidcSignIn,
  type Org,
  startAuthStack,
  startIdpProcess,
  withDb,
} from './support.js';

let dep: TestDeployment;
let stack: AuthStack;
let customer: Org;
const idps: Record<string, IdpProc> = {};
let base: string;

const ENTRA_ADMIN_GROUP = '12345678-1234-1234-1234-123456789012';
const ENTRA_EDITOR_GROUP = '87654321-4321-4321-4321-210987654321';

beforeAll(async () => {
  dep = await TestDeployment.start();
  customer = await createOrg(dep, 'customer', [{ domain: 'customer.test', verified: true }]);
  await createOrg(dep, 'pending', [{ domain: 'elsewhere.test', verified: false }]);
  const gatewayPort = await freePort();
  base = `http://127.0.0.1:${gatewayPort}`;
  const callbackUrl = `${base}/auth/callback`;
  const mismatchPort = await freePort();
  const [entra, okta, google, mismatch] = await Promise.all([
    startIdpProcess('entra', ['--redirect-uri', callbackUrl]),
    startIdpProcess('okta', ['--redirect-uri', callbackUrl]),
    startIdpProcess('google', ['--redirect-uri', callbackUrl]),
    // serves on 127.0.0.1 but claims to be http://localhost:<port>
    startIdpProcess('okta', [
      '--redirect-uri',
      callbackUrl,
      '--port',
      String(mismatchPort),
      '--issuer',
      `http://localhost:${mismatchPort}`,
    ]),
  ]);
  Object.assign(idps, { entra: entra!, okta: okta!, google: google!, mismatch: mismatch! });
  const client = (p: IdpProc) => (p.info.clients as { clientId: string; clientSecret: string }[])[0]!;
  const auth = {
    auth: {
      local: { enabled: true },
      oauth: [
        {
          enabled: true,
          name: 'entra',
          provider: 'azure',
          issuer: entra!.info.issuer,
          clientId: client(entra!).clientId,
          clientSecret: client(entra!).clientSecret,
          callbackUrl,
          scopes: ['openid', 'profile', 'email', 'offline_access'],
          attributeMapping: { id: 'oid', email: 'email', name: 'name', groups: 'groups' },
          roleMapping: { [ENTRA_ADMIN_GROUP]: 'admin', [ENTRA_EDITOR_GROUP]: 'editor', default: 'viewer' },
        },
        {
          enabled: true,
          provider: 'okta',
          issuer: okta!.info.issuer,
          clientId: client(okta!).clientId,
          clientSecret: client(okta!).clientSecret,
          callbackUrl,
          scopes: ['openid', 'profile', 'email', 'groups'],
          attributeMapping: { id: 'sub', email: 'email', name: 'name', groups: 'groups' },
          roleMapping: { 'AIGOS-Admins': 'admin', 'AIGOS-Editors': 'editor', default: 'viewer' },
        },
        {
          // the same Okta org without the `groups` scope: the token carries no groups
          enabled: true,
          name: 'okta-nogroups',
          label: 'Okta (no groups scope)',
          provider: 'okta',
          issuer: okta!.info.issuer,
          clientId: client(okta!).clientId,
          clientSecret: client(okta!).clientSecret,
          callbackUrl,
          scopes: ['openid', 'profile', 'email'],
          roleMapping: { 'AIGOS-Admins': 'admin', default: 'viewer' },
        },
        {
          enabled: true,
          provider: 'google',
          issuer: google!.info.issuer,
          clientId: client(google!).clientId,
          clientSecret: client(google!).clientSecret,
          callbackUrl,
          scopes: ['openid', 'profile', 'email'],
          hostedDomain: 'customer.test',
          attributeMapping: { id: 'sub', email: 'email', name: 'name' },
          roleMapping: { default: 'editor' },
        },
        {
          enabled: true,
          name: 'mismatch',
          label: 'Misconfigured Okta',
          provider: 'okta',
          issuer: `http://127.0.0.1:${mismatchPort}`,
          clientId: client(mismatch!).clientId,
          clientSecret: client(mismatch!).clientSecret,
          callbackUrl,
        },
      ],
    },
  };
  stack = await startAuthStack(dep, { auth, gatewayPort });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.allSettled(Object.values(idps).map((p) => p.stop()));
  await dep?.destroy();
});

const agent = () => new Agent(base, { xff: freshAddress() });

async function roleOf(
  a: Agent,
): Promise<{ role: string; email: string; org: string; method: string; provider: string }> {
  const s = await a.get<{
    role: string;
    user: { email: string };
    organization: { slug: string };
    method: string;
    provider: string;
  }>('/auth/session');
  expect(s.status, s.text).toBe(200);
  return {
    role: s.body.role,
    email: s.body.user.email,
    org: s.body.organization.slug,
    method: s.body.method,
    provider: s.body.provider,
  };
}

function expectRefused(r: { res: { status: number; text: string } }, status: number, reason: RegExp) {
  expect(r.res.status, r.res.text.slice(0, 300)).toBe(status);
  expect(r.res.text).toMatch(/<h1>Sign-in refused<\/h1>/);
  expect(r.res.text).toMatch(reason);
}

describe('OIDC sign-in (HTTP)', () => {
  it('lists one button per provider on the login page and in /auth/providers', async () => {
    const a = agent();
    const page = await a.get('/auth/login');
    for (const name of ['entra', 'okta', 'okta-nogroups', 'google', 'mismatch'])
      expect(page.text).toContain(`href="/auth/oidc/${name}/login"`);
    expect(page.text).toContain('Sign in with Microsoft Entra ID');
    const list = await a.get<{ providers: { name: string; protocol: string }[] }>('/auth/providers');
    expect(list.body.providers.map((p) => p.name)).toEqual([
      'entra',
      'okta',
      'okta-nogroups',
      'google',
      'mismatch',
    ]);
  });

  it('sends PKCE (S256), state and nonce to the provider', async () => {
    const r = await agent().get('/auth/oidc/okta/login');
    expect(r.status).toBe(303);
    const u = new URL(r.location!);
    expect(u.origin).toBe(idps.okta!.info.issuer);
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(u.searchParams.get('state')).toBeTruthy();
    expect(u.searchParams.get('nonce')).toBeTruthy();
    expect(u.searchParams.get('scope')).toBe('openid profile email groups');
    const g = new URL((await agent().get('/auth/oidc/google/login')).location!);
    expect(g.searchParams.get('hd')).toBe('customer.test');
  });

  it('Entra ID shape: just-in-time user in the org of the verified domain, role from the groups claim', async () => {
    const a = agent();
    const r = await oidcSignIn(a, 'entra', 'alice@customer.test', 'Alice-Entra-Pass-1');
    expect(r.res.status).toBe(200);
    expect(r.url.pathname).toBe('/auth/whoami');
    expect(r.res.text).toContain('id="who-role">admin<');
    expect(await roleOf(a)).toMatchObject({
      role: 'admin',
      email: 'alice@customer.test',
      org: 'customer',
      method: 'oidc',
      provider: 'entra',
    });
    const rows = await withDb(dep, (c) =>
      c.query<{ subject: string; role: string; password_hash: string | null }>(
        `SELECT i.subject, m.role, u.password_hash FROM user_identities i JOIN users u ON u.id = i.user_id
           JOIN memberships m ON m.user_id = u.id AND m.organization_id = $1 WHERE i.provider = 'entra' AND u.email = 'alice@customer.test'`,
        [customer.id],
      ),
    );
    expect(rows.rows).toEqual([
      { subject: '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e', role: 'admin', password_hash: null },
    ]);
    const b = agent();
    await oidcSignIn(b, 'entra', 'bob@customer.test', 'Bob-Entra-Pass-1');
    expect((await roleOf(b)).role).toBe('editor');
    const c = agent();
    await oidcSignIn(c, 'entra', 'carol@customer.test', 'Carol-Entra-Pass-1');
    expect((await roleOf(c)).role).toBe('viewer');
    // the session works for the API, and access tokens can be minted from it
    expect((await a.get<{ role: string }>('/api/v1/me')).body.role).toBe('admin');
    expect(await a.accessToken()).toMatch(/^ey/);
  });

  it('the identity provider stays authoritative for the role at the next sign-in', async () => {
    await withDb(dep, (c) =>
      c.query(
        `UPDATE memberships SET role = 'viewer' WHERE organization_id = $1 AND user_id = (SELECT id FROM users WHERE email = 'bob@customer.test')`,
        [customer.id],
      ),
    );
    const b = agent();
    await oidcSignIn(b, 'entra', 'bob@customer.test', 'Bob-Entra-Pass-1');
    expect((await roleOf(b)).role).toBe('editor');
    const count = await withDb(dep, (c) =>
      c.query(`SELECT count(*)::int AS n FROM users WHERE email = 'bob@customer.test'`),
    );
    expect(count.rows[0].n).toBe(1);
  });

  it('Entra ID group overage: no crash, no elevated role — the default role, and the log says why', async () => {
    const a = agent();
    const r = await oidcSignIn(a, 'entra', 'dave@customer.test', 'Dave-Entra-Pass-1');
    expect(r.url.pathname).toBe('/auth/whoami');
    expect(await roleOf(a)).toMatchObject({ role: 'viewer', email: 'dave@customer.test' });
    const lines = await waitForLog(
      stack.api,
      (l) => typeof l.msg === 'string' && l.msg.includes('group overage'),
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]!.msg).toMatch(/_claim_names\/_claim_sources/);
    expect(lines[0]!.defaultRole).toBe('viewer');
  });

  it('Okta shape: groups with the groups scope map to roles', async () => {
    const a = agent();
    await oidcSignIn(a, 'okta', 'olivia@customer.test', 'Olivia-Okta-Pass-1');
    expect((await roleOf(a)).role).toBe('admin');
    const b = agent();
    await oidcSignIn(b, 'okta', 'oscar@customer.test', 'Oscar-Okta-Pass-1');
    expect((await roleOf(b)).role).toBe('editor');
    // without the groups scope Okta sends no groups: the default role
    const c = agent();
    await oidcSignIn(c, 'okta-nogroups', 'olivia@customer.test', 'Olivia-Okta-Pass-1');
    expect((await roleOf(c)).role).toBe('viewer');
    // (and the next sign-in with groups restores admin)
    const d = agent();
    await oidcSignIn(d, 'okta', 'olivia@customer.test', 'Olivia-Okta-Pass-1');
    expect((await roleOf(d)).role).toBe('admin');
  });

  it('Google shape: hd must be the hostedDomain; the default role applies', async () => {
    const a = agent();
    await oidcSignIn(a, 'google', 'gina@customer.test', 'Gina-Google-Pass-1');
    expect(await roleOf(a)).toMatchObject({ role: 'editor', provider: 'google' });
    const other = await oidcSignIn(agent(), 'google', 'hank@other-workspace.test', 'Hank-Google-Pass-1');
    expectRefused(
      other,
      403,
      /limited to the Google Workspace domain customer\.test; your account is in other-workspace\.test/,
    );
    const consumer = await oidcSignIn(agent(), 'google', 'gus@gmail.test', 'Gus-Google-Pass-1');
    expectRefused(consumer, 403, /not a Workspace account/);
    expect(
      (await waitForLog(stack.api, (l) => l.code === 'HOSTED_DOMAIN_MISMATCH', 2)).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('refuses an unverified e-mail (Okta and Google shapes)', async () => {
    expectRefused(
      await oidcSignIn(agent(), 'okta', 'uma@customer.test', 'Uma-Okta-Pass-1'),
      403,
      /has not verified the e-mail address uma@customer\.test/,
    );
    expectRefused(
      await oidcSignIn(agent(), 'google', 'gwen@customer.test', 'Gwen-Google-Pass-1'),
      403,
      /has not verified/,
    );
    expect(
      (await waitForLog(stack.api, (l) => l.code === 'EMAIL_NOT_VERIFIED', 2)).length,
    ).toBeGreaterThanOrEqual(2);
    const none = await withDb(dep, (c) =>
      c.query(`SELECT 1 FROM users WHERE email IN ('uma@customer.test', 'gwen@customer.test')`),
    );
    expect(none.rowCount).toBe(0);
  });

  it('refuses an e-mail whose domain no organization has verified', async () => {
    const r = await oidcSignIn(agent(), 'entra', 'mallory@elsewhere.test', 'Mallory-Entra-Pass-1');
    expectRefused(r, 403, /has verified the domain elsewhere\.test/);
    expect((await waitForLog(stack.api, (l) => l.code === 'DOMAIN_NOT_VERIFIED')).length).toBeGreaterThan(0);
  });

  it('refuses an issuer mismatch (discovery answers as another issuer)', async () => {
    const r = await agent().get('/auth/oidc/mismatch/login');
    expect(r.status).toBe(502);
    expect(r.text).toMatch(/answered as a different issuer than the configured http:\/\/127\.0\.0\.1:\d+/);
    expect(
      (await waitForLog(stack.api, (l) => l.code === 'ISSUER_MISMATCH' && l.provider === 'mismatch')).length,
    ).toBeGreaterThan(0);
  });

  it('refuses an ID token whose nonce is not this sign-in’s', async () => {
    const r = await oidcSignIn(agent(), 'entra', 'ned@customer.test', 'Ned-Entra-Pass-1');
    expectRefused(r, 401, /nonce mismatch/);
    expect(
      (await waitForLog(stack.api, (l) => l.code === 'NONCE_MISMATCH' && l.provider === 'entra')).length,
    ).toBeGreaterThan(0);
  });

  it('refuses a replayed ID token (the provider answers with the previous sign-in’s token)', async () => {
    const first = agent();
    await oidcSignIn(first, 'entra', 'rita@customer.test', 'Rita-Entra-Pass-1');
    expect((await roleOf(first)).role).toBe('viewer');
    const replay = await oidcSignIn(agent(), 'entra', 'rita@customer.test', 'Rita-Entra-Pass-1');
    expectRefused(replay, 401, /nonce mismatch/);
  });

  it('refuses a replayed callback (state is used once) and a callback from another browser', async () => {
    const a = agent();
    const r = await oidcSignIn(a, 'okta', 'oscar@customer.test', 'Oscar-Okta-Pass-1', {
      stopAtCallback: true,
    });
    expect(r.callback).toBeDefined();
    const path = r.callback!.pathname + r.callback!.search;
    // another browser (no binding cookie) presents the stolen callback first
    const thief = await agent().get(path);
    expect(thief.status).toBe(400);
    expect(thief.text).toMatch(/started in another browser/);
    // the state was consumed by that attempt: the rightful browser cannot use it either now
    const again = await a.get(path);
    expect(again.status).toBe(400);
    expect(again.text).toMatch(/already used or has expired/);
    // a normal sign-in, then the same callback URL once more
    const b = agent();
    const ok = await oidcSignIn(b, 'okta', 'oscar@customer.test', 'Oscar-Okta-Pass-1', {
      stopAtCallback: true,
    });
    const cb = ok.callback!.pathname + ok.callback!.search;
    expect((await b.get(cb)).status).toBe(303);
    const replay = await b.get(cb);
    expect(replay.status).toBe(400);
    expect(replay.text).toMatch(/already used/);
    expect((await waitForLog(stack.api, (l) => l.code === 'STATE_INVALID')).length).toBeGreaterThan(0);
  });

  it('shows the provider’s own error (the user cancelled)', async () => {
    const sp = agent();
    const idp = new Agent('http://127.0.0.1');
    const toForm = await follow({ sp, idp }, await sp.get('/auth/oidc/okta/login'));
    const abort = /action="(\/interaction\/[^"]+\/abort)"/.exec(toForm.res.text)![1]!;
    idp.base = toForm.url.origin;
    const back = await follow({ sp, idp }, await idp.request('POST', abort, { form: {} }));
    expect(back.res.status).toBe(401);
    expect(back.res.text).toMatch(/access_denied/);
  });
});

describe('OIDC sign-in in Chromium', () => {
  let browser: LaunchedBrowser;
  beforeAll(async () => {
    const exe = findChromium();
    if (!exe) throw new Error('Chromium is missing: apt-get install -y chromium');
    browser = await launchChromium(exe);
  }, 60_000);
  afterAll(async () => browser?.close());

  const cases: [string, string, string, string, string][] = [
    ['entra', 'Microsoft Entra ID', 'alice@customer.test', 'Alice-Entra-Pass-1', 'admin'],
    ['entra', 'Microsoft Entra ID', 'bob@customer.test', 'Bob-Entra-Pass-1', 'editor'],
    ['entra', 'Microsoft Entra ID', 'dave@customer.test', 'Dave-Entra-Pass-1', 'viewer'],
    ['okta', 'Okta', 'olivia@customer.test', 'Olivia-Okta-Pass-1', 'admin'],
    ['okta', 'Okta', 'oscar@customer.test', 'Oscar-Okta-Pass-1', 'editor'],
    ['google', 'Google Workspace', 'gina@customer.test', 'Gina-Google-Pass-1', 'editor'],
  ];
  for (const [provider, label, username, password, role] of cases) {
    it(`${provider}: ${username} signs in and lands as ${role}`, async () => {
      await browser.context.clearCookies();
      await browser.context.setExtraHTTPHeaders({ 'x-forwarded-for': freshAddress() });
      const page = await browser.context.newPage();
      try {
        await page.goto(`${base}/auth/login`);
        await page.getByRole('link', { name: `Sign in with ${label}`, exact: true }).click();
        await page.getByLabel('Username').fill(username);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${base}/auth/whoami`);
        expect(await page.locator('#who-role').textContent()).toBe(role);
        expect(await page.locator('#who-email').textContent()).toBe(username);
        expect(await page.locator('#who-method').textContent()).toBe(`oidc (${provider})`);
        // sign out from the page (form with the CSRF token)
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(/\/auth\/login\?signedOut/);
        expect(await page.getByRole('status').textContent()).toContain('You are signed out.');
      } finally {
        await page.close();
      }
    });
  }

  it('shows a clear refusal page (Google account outside the hosted domain)', async () => {
    await browser.context.clearCookies();
    await browser.context.setExtraHTTPHeaders({ 'x-forwarded-for': freshAddress() });
    const page = await browser.context.newPage();
    try {
      await page.goto(`${base}/auth/login`);
      await page.getByRole('link', { name: 'Sign in with Google Workspace' }).click();
      await page.getByLabel('Username').fill('hank@other-workspace.test');
      await page.getByLabel('Password').fill('Hank-Google-Pass-1');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/auth\/callback/);
      expect(await page.getByRole('heading').textContent()).toBe('Sign-in refused');
      expect(await page.getByRole('alert').textContent()).toMatch(
        /limited to the Google Workspace domain customer\.test/,
      );
    } finally {
      await page.close();
    }
  });
});
