// Local accounts and sessions against a real local deployment (through its gateway):
// argon2id login, Redis sessions (rolling, revoked at logout), cookie attributes, CSRF
// for cookie-authenticated writes, the seeded admin's forced password change, the
// slow-down and lockout per account and per source, and the /auth rate limit keyed on the
// client address resolved through the trusted proxies (a forged X-Forwarded-For does not
// open a new bucket).
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium, type LaunchedBrowser } from '../../harness/src/drivers/browser.js';
import { TestDeployment } from '../support/harness.js';
import {
  Agent,
  type AuthStack,
  createOrg,
  createUser,
  freshAddress,
  waitForLog,
  type Org,
  spawnService,
  startAuthStack,
  withDb,
} from './support.js';

let dep: TestDeployment;
let gw: string;
let adminEmail: string;
let adminPassword: string;
let org: Org;
let redis: Redis;
let sessionSecret: string;

beforeAll(async () => {
  dep = await TestDeployment.start();
  gw = dep.endpoints.gateway;
  adminEmail = dep.endpoints.admin.email;
  adminPassword = (await readFile(dep.endpoints.admin.passwordFile, 'utf8')).trim();
  org = await withDb(dep, async (c) => {
    const r = await c.query<{ id: string }>(`SELECT id FROM organizations WHERE slug = 'default'`);
    return { id: r.rows[0]!.id, slug: 'default' };
  });
  redis = new Redis(dep.endpoints.redis.url);
  sessionSecret = (await dep.serviceEnv()).SESSION_SECRET!;
});

afterAll(async () => {
  redis?.disconnect();
  await dep?.destroy();
});

const sessionKey = (cookie: string) =>
  `aigos:session:${createHmac('sha256', sessionSecret).update(cookie).digest('base64url')}`;

describe('password login and sessions', () => {
  it('logs in with JSON, sets an HttpOnly SameSite=Lax session cookie and serves /api/v1/me', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    const r = await a.loginJson(adminEmail, adminPassword);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      role: 'admin',
      mustChangePassword: false,
      organization: { slug: 'default' },
    });
    const setCookie = (r.headers['set-cookie'] ?? []).find((c) => c.startsWith('aigos_session='))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // PUBLIC_URL is http here
    expect(setCookie).toMatch(/Max-Age=86400/);
    const me = await a.get<{ role: string; authentication: { kind: string } }>('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.role).toBe('admin');
    expect(me.body.authentication.kind).toBe('session');
    const session = await a.get<{ csrfToken: string; method: string }>('/auth/session');
    expect(session.body.csrfToken).toBe(a.csrf);
    expect(session.body.method).toBe('password');
  });

  it('stores the session in Redis under an HMAC of the cookie, and each use extends it (rolling)', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    await a.loginJson(adminEmail, adminPassword);
    const key = sessionKey(a.cookie('aigos_session')!);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(86_000_000);
    expect(await redis.get(`aigos:session:${a.cookie('aigos_session')}`)).toBeNull(); // the raw id is not the key
    await redis.pexpire(key, 5_000);
    expect((await a.get('/api/v1/me')).status).toBe(200);
    expect(await redis.pttl(key)).toBeGreaterThan(86_000_000);
  });

  it('answers a wrong password and an unknown account alike (401 INVALID_CREDENTIALS)', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    const wrong = await a.loginJson(adminEmail, 'not-the-password');
    const unknown = await a.loginJson('nobody@example.com', 'whatever-password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
    expect(a.cookie('aigos_session')).toBeUndefined();
  });

  it('logs in through the HTML form (with its CSRF field) and lands on the identity page', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    const page = await a.get('/auth/login');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(page.text).not.toMatch(/<script/i);
    const r = await a.loginForm(adminEmail, adminPassword);
    expect(r.status).toBe(303);
    expect(r.location).toBe('/auth/whoami');
    const who = await a.get('/auth/whoami');
    expect(who.text).toContain('id="who-role">admin<');
  });

  it('refuses a login form post without the form token (login CSRF)', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    const r = await a.request('POST', '/auth/login', {
      form: { email: adminEmail, password: adminPassword },
    });
    expect(r.status).toBe(403);
    expect(a.cookie('aigos_session')).toBeUndefined();
  });

  it('sends no one to another site after login (returnTo must be a local path)', async () => {
    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const r = await new Agent(gw, { xff: freshAddress() }).loginForm(adminEmail, adminPassword, evil);
      expect(r.status).toBe(303);
      expect(r.location).toBe('/auth/whoami');
    }
    const ok = await new Agent(gw, { xff: freshAddress() }).loginForm(
      adminEmail,
      adminPassword,
      '/api/v1/me',
    );
    expect(ok.location).toBe('/api/v1/me');
  });

  it('logout revokes the session: the old cookie no longer works', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    await a.loginJson(adminEmail, adminPassword);
    const cookie = a.cookie('aigos_session')!;
    const csrf = a.csrf;
    const noCsrf = await a.request('POST', '/auth/logout', { json: {} });
    expect(noCsrf.status).toBe(403);
    const out = await a.request('POST', '/auth/logout', { json: {}, headers: { 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expect(await redis.exists(sessionKey(cookie))).toBe(0);
    const replay = await new Agent(gw, { xff: freshAddress() }).request('GET', '/api/v1/me', {
      headers: { cookie: `aigos_session=${cookie}` },
    });
    expect(replay.status).toBe(401);
  });
});

describe('CSRF for cookie-authenticated writes', () => {
  it('refuses an unsafe API request with the cookie but without X-CSRF-Token; bearer requests are exempt', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    await a.loginJson(adminEmail, adminPassword);
    const body = { name: 'csrf-check', role: 'viewer', scopes: ['assets:read'] };
    const without = await a.request('POST', '/api/v1/api-keys', { json: body });
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe('CSRF_TOKEN_INVALID');
    const wrong = await a.request('POST', '/api/v1/api-keys', {
      json: body,
      headers: { 'x-csrf-token': 'x'.repeat(43) },
    });
    expect(wrong.status).toBe(403);
    const right = await a.request('POST', '/api/v1/api-keys', {
      json: body,
      headers: { 'x-csrf-token': a.csrf },
    });
    expect([200, 201]).toContain(right.status);
    // a bearer access token needs no CSRF token (a browser never attaches it by itself)
    const token = await a.accessToken();
    const bearer = await new Agent(gw, { xff: freshAddress() }).request('POST', '/api/v1/api-keys', {
      json: { ...body, name: 'csrf-bearer' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect([200, 201]).toContain(bearer.status);
    // the CSRF token of another session does not do
    const b = new Agent(gw, { xff: freshAddress() });
    await b.loginJson(adminEmail, adminPassword);
    const cross = await a.request('POST', '/api/v1/api-keys', {
      json: body,
      headers: { 'x-csrf-token': b.csrf },
    });
    expect(cross.status).toBe(403);
  });

  it('safe methods need no CSRF token', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    await a.loginJson(adminEmail, adminPassword);
    expect((await a.get('/api/v1/api-keys')).status).toBe(200);
  });
});

describe('the seeded default admin must change the password at first login', () => {
  const email = 'first-admin@forced.example';
  const newPassword = 'a-much-better-passphrase-42';

  it('allows only the password change until it is done; then the default password is refused', async () => {
    const seeded = await dep.handle.exec([
      'aigos-admin',
      'db:seed',
      '--org-slug',
      'forced',
      '--admin-email',
      email,
    ]);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/must change the default password/);

    const a = new Agent(gw, { xff: freshAddress() });
    const login = await a.loginJson(email, 'ChangeMe123!');
    expect(login.status).toBe(200);
    expect(login.body.mustChangePassword).toBe(true);

    // nothing else works meanwhile: REST, tokens
    const me = await a.get('/api/v1/me');
    expect(me.status).toBe(403);
    expect((me.body as { error: { code: string } }).error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const token = await a.request('POST', '/auth/token', { headers: { 'x-csrf-token': a.csrf } });
    expect(token.status).toBe(403);
    const who = await a.get('/auth/whoami');
    expect(who.status).toBe(303);
    expect(who.location).toBe('/auth/change-password');

    // the default password itself is not an acceptable new password
    const same = await a.request('POST', '/auth/change-password', {
      json: { currentPassword: 'ChangeMe123!', newPassword: 'ChangeMe123!' },
      headers: { 'x-csrf-token': a.csrf },
    });
    expect(same.status).toBe(400);
    const short = await a.request('POST', '/auth/change-password', {
      json: { currentPassword: 'ChangeMe123!', newPassword: 'short' },
      headers: { 'x-csrf-token': a.csrf },
    });
    expect(short.status).toBe(400);

    // a second session of the same user will be revoked by the change
    const other = new Agent(gw, { xff: freshAddress() });
    expect((await other.loginJson(email, 'ChangeMe123!')).status).toBe(200);

    const changed = await a.request('POST', '/auth/change-password', {
      json: { currentPassword: 'ChangeMe123!', newPassword },
      headers: { 'x-csrf-token': a.csrf },
    });
    expect(changed.status, changed.text).toBe(200);
    expect((await a.get('/api/v1/me')).status).toBe(200);
    expect((await other.get('/api/v1/me')).status).toBe(401);

    const again = await new Agent(gw, { xff: freshAddress() }).loginJson(email, 'ChangeMe123!');
    expect(again.status).toBe(401);
    const fresh = await new Agent(gw, { xff: freshAddress() }).loginJson(email, newPassword);
    expect(fresh.status).toBe(200);
    expect(fresh.body.mustChangePassword).toBe(false);
    const row = await withDb(dep, (c) =>
      c.query<{ h: string; m: boolean }>(
        `SELECT password_hash AS h, must_change_password AS m FROM users WHERE email = $1`,
        [email],
      ),
    );
    expect(row.rows[0]!.m).toBe(false);
    expect(row.rows[0]!.h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

describe('slow-down and lockout (per account and per source)', () => {
  let stack: AuthStack;
  beforeAll(async () => {
    // a low threshold keeps the test short; the rate limit is off so only the lockout answers
    stack = await startAuthStack(dep, {
      env: { AUTH_LOCKOUT_THRESHOLD: '4', AUTH_LOCKOUT_SECONDS: '60', AUTH_RATE_LIMIT_RPS: '0' },
    });
  });
  afterAll(async () => stack?.stop());

  it('slows repeated failures, then locks the account even for the right password', async () => {
    const user = await createUser(dep, org, { role: 'viewer' });
    const a = new Agent(stack.url, { xff: freshAddress() });
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now();
      const r = await a.loginJson(user.email, 'wrong-password-' + i);
      times.push(Date.now() - t0);
      expect(r.status).toBe(401);
    }
    // attempts 3 and 4 waited 250 ms and 500 ms before answering
    expect(times[2]).toBeGreaterThanOrEqual(240);
    expect(times[3]).toBeGreaterThanOrEqual(490);
    const locked = await a.loginJson(user.email, user.password);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('ACCOUNT_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // from another address too: the lock is the account's
    const elsewhere = await new Agent(stack.url, { xff: freshAddress() }).loginJson(
      user.email,
      user.password,
    );
    expect(elsewhere.status).toBe(429);
    expect(
      (await waitForLog(stack.api, (l) => l.msg === 'login refused: locked' && l.email === user.email))
        .length,
    ).toBeGreaterThan(0);
    // other accounts are not affected
    const other = await createUser(dep, org, { role: 'viewer' });
    expect((await a.loginJson(other.email, other.password)).status).toBe(200);
  });

  it('a success resets the account count', async () => {
    const user = await createUser(dep, org, { role: 'viewer' });
    const a = new Agent(stack.url, { xff: freshAddress() });
    for (let i = 0; i < 3; i++) expect((await a.loginJson(user.email, 'nope-' + i)).status).toBe(401);
    expect((await a.loginJson(user.email, user.password)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await a.loginJson(user.email, 'nope-again-' + i)).status).toBe(401);
    expect((await a.loginJson(user.email, user.password)).status).toBe(200);
  });

  it('blocks a source that fails across many accounts (credential stuffing)', async () => {
    const a = new Agent(stack.url, { xff: freshAddress() });
    let blocked;
    for (let i = 0; i < 25 && !blocked; i++) {
      const r = await a.loginJson(`stuffing-${i}@example.com`, 'password-123456');
      if (r.status === 429) blocked = r;
      else expect(r.status).toBe(401);
    }
    expect(blocked?.body.error.code).toBe('SOURCE_BLOCKED');
    const user = await createUser(dep, org, { role: 'viewer' });
    expect((await a.loginJson(user.email, user.password)).status).toBe(429);
    expect(
      (await new Agent(stack.url, { xff: freshAddress() }).loginJson(user.email, user.password)).status,
    ).toBe(200);
  });
});

describe('/auth rate limit (10 r/s, burst 5) on the client address through trusted proxies', () => {
  it('answers 429 with Retry-After past the burst', async () => {
    const a = new Agent(gw, { xff: freshAddress() });
    const replies = await Promise.all(Array.from({ length: 12 }, () => a.get('/auth/jwks.json')));
    const ok = replies.filter((r) => r.status === 200).length;
    const limited = replies.filter((r) => r.status === 429);
    expect(ok).toBeGreaterThanOrEqual(6);
    expect(ok).toBeLessThanOrEqual(8);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((limited[0]!.body as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    // other clients keep their own budget
    expect((await new Agent(gw, { xff: freshAddress() }).get('/auth/jwks.json')).status).toBe(200);
  });

  it('ignores a forged X-Forwarded-For from an untrusted peer (direct and through the gateway)', async () => {
    // only the gateway's address is a trusted proxy; the client connects from 127.0.0.2
    const stack = await startAuthStack(dep, { env: { TRUST_PROXY: '127.0.0.1/32' } });
    try {
      const burst = async (base: string, localAddress: string) => {
        const replies = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            new Agent(base, { localAddress, xff: `203.0.113.${i + 1}` }).get('/auth/jwks.json'),
          ),
        );
        return replies.filter((r) => r.status === 429).length;
      };
      expect(await burst(stack.url, '127.0.0.2')).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1_200)); // let the bucket drain
      expect(await burst(stack.api.url, '127.0.0.3')).toBeGreaterThan(0);
      // through the trusted gateway a different real client has its own bucket
      await new Promise((r) => setTimeout(r, 1_200));
      const spent = await burst(stack.url, '127.0.0.4');
      expect(spent).toBeGreaterThan(0);
      expect((await new Agent(stack.url, { localAddress: '127.0.0.5' }).get('/auth/jwks.json')).status).toBe(
        200,
      );
      const limitedLog = await waitForLog(
        stack.api,
        (l) => l.msg === 'auth rate limit exceeded' && l.source === '127.0.0.2',
      );
      expect(limitedLog.some((l) => l.source === '127.0.0.2')).toBe(true);
      expect(limitedLog.some((l) => String(l.source).startsWith('203.0.113.'))).toBe(false);
    } finally {
      await stack.stop();
    }
  });

  it('uses PUBLIC_URL https for Secure __Host- cookies', async () => {
    const api = await spawnService(dep, 'api', { PUBLIC_URL: 'https://aigos.customer.example' });
    try {
      const a = new Agent(api.url, { xff: freshAddress() });
      const r = await a.loginJson(adminEmail, adminPassword);
      expect(r.status).toBe(200);
      const cookies = r.headers['set-cookie'] ?? [];
      const session = cookies.find((c) => c.startsWith('__Host-aigos_session='));
      expect(session).toMatch(/; Secure/i);
      expect(session).toMatch(/HttpOnly/i);
      expect(session).toMatch(/Path=\//);
      expect(cookies.find((c) => c.startsWith('__Host-aigos_csrf='))).toMatch(/; Secure/i);
    } finally {
      await api.stop();
    }
  });
});

describe('membership changes take effect at once', () => {
  it('a disabled account loses its session on the next request', async () => {
    const user = await createUser(dep, org, { role: 'editor' });
    const a = new Agent(gw, { xff: freshAddress() });
    expect((await a.loginJson(user.email, user.password)).status).toBe(200);
    expect((await a.get('/api/v1/me')).status).toBe(200);
    await withDb(dep, (c) => c.query(`UPDATE users SET disabled = true WHERE id = $1`, [user.id]));
    expect((await a.get('/api/v1/me')).status).toBe(401);
    expect((await new Agent(gw, { xff: freshAddress() }).loginJson(user.email, user.password)).status).toBe(
      401,
    );
  });

  it('a role change applies to the live session', async () => {
    const user = await createUser(dep, org, { role: 'viewer' });
    const a = new Agent(gw, { xff: freshAddress() });
    await a.loginJson(user.email, user.password);
    expect((await a.get<{ role: string }>('/api/v1/me')).body.role).toBe('viewer');
    await withDb(dep, (c) => c.query(`UPDATE memberships SET role = 'editor' WHERE user_id = $1`, [user.id]));
    expect((await a.get<{ role: string }>('/api/v1/me')).body.role).toBe('editor');
  });

  it('a user of two organizations picks one at login', async () => {
    const second = await createOrg(dep, 'second-org');
    const user = await createUser(dep, org, { role: 'viewer' });
    await withDb(dep, (c) =>
      c.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'admin')`, [
        second.id,
        user.id,
      ]),
    );
    const a = new Agent(gw, { xff: freshAddress() });
    const r = await a.loginJson(user.email, user.password, { organization: 'second-org' });
    expect(r.body.role).toBe('admin');
    expect((await a.get<{ organization: { slug: string } }>('/api/v1/me')).body.organization.slug).toBe(
      'second-org',
    );
  });
});

describe('in Chromium: local login with the forced password change', () => {
  let browser: LaunchedBrowser;
  beforeAll(async () => {
    const exe = findChromium();
    if (!exe) throw new Error('Chromium is missing: apt-get install -y chromium');
    browser = await launchChromium(exe);
  }, 60_000);
  afterAll(async () => browser?.close());

  it('the seeded admin signs in with the default password, must change it, then lands as admin', async () => {
    const email = 'browser-admin@forced-browser.example';
    const seeded = await dep.handle.exec([
      'aigos-admin',
      'db:seed',
      '--org-slug',
      'forced-browser',
      '--admin-email',
      email,
    ]);
    expect(seeded.code, seeded.stderr).toBe(0);
    await browser.context.setExtraHTTPHeaders({ 'x-forwarded-for': freshAddress() });
    const page = await browser.context.newPage();
    try {
      await page.goto(`${gw}/auth/login`);
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill('ChangeMe123!');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/auth\/change-password/);
      expect(await page.getByRole('status').textContent()).toMatch(/initial password/);
      // nothing else is reachable meanwhile
      const api = await page.request.get(`${gw}/api/v1/me`);
      expect(api.status()).toBe(403);
      expect(((await api.json()) as { error: { code: string } }).error.code).toBe('PASSWORD_CHANGE_REQUIRED');
      await page.goto(`${gw}/auth/whoami`);
      await page.waitForURL(/\/auth\/change-password/);
      // the default password is not accepted as the new one
      await page.getByLabel('Current password').fill('ChangeMe123!');
      await page.getByLabel('New password', { exact: true }).fill('ChangeMe123!');
      await page.getByLabel('Repeat the new password').fill('ChangeMe123!');
      await page.getByRole('button', { name: 'Change password' }).click();
      expect(await page.locator('#problems').textContent()).toMatch(/not be the documented default password/);
      await page.getByLabel('Current password').fill('ChangeMe123!');
      await page.getByLabel('New password', { exact: true }).fill('browser-chosen-passphrase-7');
      await page.getByLabel('Repeat the new password').fill('browser-chosen-passphrase-7');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.waitForURL(`${gw}/auth/whoami`);
      expect(await page.locator('#who-role').textContent()).toBe('admin');
      expect(await page.locator('#who-email').textContent()).toBe(email);
      expect((await page.request.get(`${gw}/api/v1/me`)).status()).toBe(200);
      // signing out and back in with the default password fails; the new one works
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/auth\/login\?signedOut/);
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill('ChangeMe123!');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.getByRole('alert').textContent()).toMatch(/incorrect/);
      await page.getByLabel('Password').fill('browser-chosen-passphrase-7');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${gw}/auth/whoami`);
      expect(await page.locator('#who-role').textContent()).toBe('admin');
    } finally {
      await page.close();
    }
  });
});
