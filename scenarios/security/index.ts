// Suite security: rate limits that a forged X-Forwarded-For cannot escape (seed-review
// row 15), a sample of the role matrix, the audit chain (verify; tampering refused by the
// database) and brute-force lockout of local accounts.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpProbe, type HttpResult } from '../../harness/src/drivers/http.js';
import type { Scenario, Suite } from '../../harness/src/runner/scenario.js';
import { adminAuth, login, LOGIN_PATH } from '../cp-02/accounts.js';

const RATE_PROBE_PATH = '/auth/aigos-harness-rate-probe';
export const BURST = 30;

function forgedAddress(): string {
  return `203.0.113.${randomInt(1, 255)}`; // TEST-NET-3: never a real client
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorCode = (r: HttpResult) => r.json<{ error?: { code?: string } }>()?.error?.code;

export const rateLimitForgedXff: Scenario = {
  id: 'security.rate-limit-forged-xff',
  title: 'The /auth/ rate limit holds when every request forges a different X-Forwarded-For',
  dependsOn: ['cp-02.health'],
  timeoutMs: 30_000,
  async run(ctx) {
    const url = ctx.target.url(RATE_PROBE_PATH);
    ctx.note(`${BURST} requests`);
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) => {
        const xff = forgedAddress();
        return httpProbe({
          url,
          ca: ctx.target.caBundle,
          signal: ctx.signal,
          headers: {
            Accept: 'application/json',
            'X-Forwarded-For': xff,
            'X-Real-IP': xff,
            'X-Request-Id': `aigos-harness-rate-${i}`,
          },
        }).then((r) => ({ xff, status: r.status, error: r.error }));
      }),
    );
    const limited = results.filter((r) => r.status === 429).length;
    const errors = results.filter((r) => r.status === 0).length;
    const ev = await ctx.evidence(
      'burst',
      `${BURST} concurrent GET ${url}, each with its own forged X-Forwarded-For / X-Real-IP\n` +
        results.map((r, i) => `#${i + 1} X-Forwarded-For: ${r.xff} -> ${r.error ?? r.status}`).join('\n') +
        '\n',
      'http-summary',
    );
    ctx.metric('burst', { requests: BURST, limited, errors });
    ctx.check({
      id: 'limited-despite-forged-xff',
      title: `a burst of ${BURST} requests to /auth/ is rate limited although each claims another client address`,
      pass: limited > 0,
      expected: 'some answers 429 (nginx: zone auth 10r/s burst 5)',
      actual: `${limited} x 429 of ${BURST}${errors ? `, ${errors} network errors` : ''}`,
      remediation:
        'Rate limits must key on the connecting address, with real_ip taken from X-Forwarded-For only when the connection comes from a trusted proxy (nginx: set_real_ip_from <your load balancer>; never 0.0.0.0/0), and /auth/ must have its own limit (limit_req zone=auth burst=5). See seed-review row 15.',
      evidence: [ev],
    });
    // let the auth zone drain so later scenarios are not limited by this one
    await sleep(1_200);
  },
};

// ---- role matrix ------------------------------------------------------------------

type Role = 'viewer' | 'editor' | 'admin';
const ROLES: Role[] = ['viewer', 'editor', 'admin'];

/** A sample of the role matrix: the least role each route needs (reference/src/api/auth/README.md). */
export const MATRIX: { method: string; path: string; minRole: Role; body?: unknown; what: string }[] = [
  { method: 'GET', path: '/api/v1/assets', minRole: 'viewer', what: 'read asset cards' },
  // an empty card: authorized callers get 400 (validation), nothing is created
  { method: 'POST', path: '/api/v1/assets', minRole: 'editor', body: {}, what: 'write asset cards' },
  { method: 'GET', path: '/api/v1/audit/verify', minRole: 'admin', what: 'read the audit trail' },
  { method: 'GET', path: '/api/v1/api-keys', minRole: 'admin', what: 'manage API keys' },
  { method: 'POST', path: '/api/v1/users', minRole: 'admin', body: {}, what: 'manage users' },
];

const rank = (r: Role) => ROLES.indexOf(r);

export const roleMatrix: Scenario = {
  id: 'security.role-matrix',
  title: 'Role matrix sample: viewer, editor and admin keys are allowed or refused (403) per route',
  dependsOn: ['cp-02.health'],
  timeoutMs: 30_000,
  async run(ctx) {
    const admin = await adminAuth(ctx);
    const headers = { Accept: 'application/json', ...admin.headers };
    // viewer and editor keys, made by the admin through the API (expiring in a day, revoked after)
    const keys: Partial<Record<Role, { id: string; key: string }>> = {};
    for (const role of ['viewer', 'editor'] as const) {
      const res = await ctx.http({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers,
        json: { name: `aigos-harness role matrix (${role})`, role, scopes: ['*'], expiresInDays: 1 },
        label: `create a ${role} key`,
      });
      const body = res.json<{ id?: string; key?: string }>();
      ctx.check({
        id: `create-${role}-key`,
        title: `the admin can create a ${role} API key (POST /api/v1/api-keys)`,
        pass: res.status === 201 && Boolean(body?.key && body.id),
        expected: '201 with the key',
        actual: `${res.error ?? res.status}${res.status === 201 ? '' : ` ${errorCode(res) ?? res.text.slice(0, 120)}`}`,
        remediation:
          'The admin cannot create API keys with a lesser role: POST /api/v1/api-keys must be served to admins (role at most their own).',
        evidence: [res],
      });
      if (body?.key && body.id) keys[role] = { id: body.id, key: body.key };
    }
    try {
      for (const route of MATRIX)
        for (const role of ROLES) {
          const auth =
            role === 'admin'
              ? admin.headers
              : keys[role]
                ? { Authorization: `Bearer ${keys[role].key}` }
                : undefined;
          if (!auth) continue;
          const res = await ctx.http({
            method: route.method,
            url: route.path,
            headers: { Accept: 'application/json', ...auth },
            json: route.body,
            label: `${role} ${route.method} ${route.path}`,
          });
          const allowed = rank(role) >= rank(route.minRole);
          const code = errorCode(res);
          const ok = allowed
            ? res.status > 0 && res.status !== 401 && res.status !== 403 && res.status < 500
            : res.status === 403;
          ctx.check({
            id: `${role}-${route.method.toLowerCase()}-${route.path.replace(/^\/api\/v1\//, '').replace(/[^a-z0-9]+/gi, '-')}`,
            title: `${role}: ${route.method} ${route.path} is ${allowed ? 'allowed' : 'refused with 403'} (${route.what} needs ${route.minRole})`,
            pass: ok,
            expected: allowed ? 'allowed (not 401/403)' : '403',
            actual: `${res.error ?? res.status}${code ? ` ${code}` : ''}`,
            remediation: allowed
              ? `A ${role} must be able to ${route.what}: check the route's role guard (it needs ${route.minRole}).`
              : `A ${role} must not be able to ${route.what}: the route must demand at least ${route.minRole} and answer 403 (authorization on the server, not only in the dashboard).`,
            evidence: [res],
          });
        }
    } finally {
      for (const k of Object.values(keys))
        await ctx.http({
          method: 'DELETE',
          url: `/api/v1/api-keys/${k.id}`,
          headers,
          label: 'revoke the role matrix key',
        });
    }
  },
};

// ---- audit trail ------------------------------------------------------------------

interface ChainVerification {
  ok?: boolean;
  entries?: number;
  headSeq?: number | null;
  firstBroken?: { seq?: number; id?: string; reason?: string; message?: string };
}

export const auditChainVerify: Scenario = {
  id: 'security.audit-chain-verify',
  title: 'The audit trail hash chain verifies (GET /api/v1/audit/verify)',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const admin = await adminAuth(ctx);
    const res = await ctx.http({
      url: '/api/v1/audit/verify',
      headers: { Accept: 'application/json', ...admin.headers },
    });
    const v = res.status === 200 ? res.json<ChainVerification>() : undefined;
    const b = v?.firstBroken;
    const link = b
      ? `entry ${b.seq ?? '?'} (id ${b.id ?? '?'}): ${b.reason ?? 'broken'}: ${b.message ?? ''}`
      : '';
    ctx.check({
      id: 'chain-verifies',
      title: 'the hash chain of the organization’s audit trail is intact',
      pass: v?.ok === true,
      expected: { ok: true },
      actual:
        v === undefined
          ? `${res.error ?? res.status} ${errorCode(res) ?? res.text.slice(0, 120)}`
          : v.ok
            ? { ok: true, entries: v.entries, headSeq: v.headSeq }
            : { ok: false, entries: v.entries, firstBroken: link },
      remediation:
        v === undefined
          ? 'GET /api/v1/audit/verify must be served to admins and answer { ok, entries, firstBroken? }.'
          : `The audit chain is broken at ${link || 'an entry'}: a row was changed or removed outside the application (only a database superuser can). Export the trail as evidence (GET /api/v1/audit/export), restore the database from the last backup whose chain verifies, and investigate who had superuser access to PostgreSQL.`,
      evidence: [res],
    });
    if (v?.ok)
      ctx.check({
        id: 'trail-records',
        title: 'the trail records the deployment’s operations (at least one entry)',
        pass: (v.entries ?? 0) > 0,
        expected: '> 0 entries',
        actual: v.entries ?? 0,
        remediation:
          'Operations (seeding, API keys, policy imports) must append to the audit trail; an empty trail proves nothing.',
        evidence: [res],
      });
  },
};

const TAMPER_STATEMENTS = [
  { op: 'UPDATE', sql: `UPDATE audit_log SET actor_label = 'aigos-harness tamper probe' WHERE seq = 1` },
  { op: 'DELETE', sql: 'DELETE FROM audit_log WHERE seq = 1' },
  { op: 'TRUNCATE', sql: 'TRUNCATE audit_log' },
];

export const auditTamperRefused: Scenario = {
  id: 'security.audit-tamper-refused',
  title: "The application's database role cannot UPDATE, DELETE or TRUNCATE audit rows",
  dependsOn: ['cp-02.health'],
  needs: ['database'],
  async run(ctx) {
    const { default: pg } = await import('pg');
    const url = ctx.target.endpoints.database.url;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    const log: string[] = [`connected as the application role (${new URL(url).username})`];
    try {
      await client.connect();
    } catch (err) {
      ctx.check({
        id: 'connect',
        title: 'the application role connects to the database',
        pass: false,
        actual: (err as Error).message,
        remediation: 'The database URL the target gives does not connect: check PostgreSQL and the role.',
      });
      return;
    }
    try {
      for (const t of TAMPER_STATEMENTS) {
        // in a transaction that is always rolled back: a deployment that allows it loses nothing here
        let outcome: { refused: boolean; text: string };
        await client.query('BEGIN');
        try {
          const r = await client.query(t.sql);
          outcome = {
            refused: false,
            text: `succeeded (${r.rowCount ?? 0} rows; rolled back by the harness)`,
          };
        } catch (err) {
          const e = err as Error & { code?: string };
          outcome = { refused: true, text: `refused: ${e.code ?? ''} ${e.message}`.trim() };
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
        }
        log.push(`${t.sql}\n  -> ${outcome.text}`);
        ctx.check({
          id: `${t.op.toLowerCase()}-refused`,
          title: `${t.op} on audit_log is refused to the application role`,
          pass: outcome.refused && /42501|permission denied|append-only|not allowed/i.test(outcome.text),
          expected: 'refused (42501 insufficient_privilege)',
          actual: outcome.text,
          remediation:
            'The audit trail must be append-only for the application: REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM the application role (and PUBLIC), and add a trigger that refuses them even if granted back (contracts §3 "append-only").',
        });
      }
    } finally {
      await client.end().catch(() => undefined);
      await ctx.evidence('tamper attempts', log.join('\n') + '\n', 'text');
    }
  },
};

// ---- brute force ------------------------------------------------------------------

const MAX_ATTEMPTS = 30;
const WAVE = 5; // within the /auth burst (10 r/s, burst 5)

export const bruteForceLockout: Scenario = {
  id: 'security.brute-force-lockout',
  title: 'Repeated wrong passwords lock the account (and the right one is then refused too)',
  dependsOn: ['cp-02.health'],
  needs: ['operator-exec'],
  timeoutMs: 90_000,
  async run(ctx) {
    // a throwaway account, never the admin
    const email = `aigos-harness-lockout-${randomBytes(4).toString('hex')}@example.test`;
    const password = `Lockout-${randomBytes(12).toString('base64url')}`;
    const dir = await mkdtemp(join(tmpdir(), 'aigos-lockout-'));
    let userId: string | undefined;
    try {
      await writeFile(join(dir, 'password'), password, { mode: 0o600 });
      const created = await ctx.target.exec([
        'aigos-admin',
        'user',
        'create',
        '--email',
        email,
        '--name',
        'aigos-harness lockout probe',
        '--role',
        'viewer',
        '--password-file',
        join(dir, 'password'),
        '--json',
      ]);
      try {
        userId = (JSON.parse(created.stdout) as { user?: { id?: string } }).user?.id;
      } catch {
        userId = undefined;
      }
      if (created.code !== 0)
        throw new Error(
          `aigos-admin user create failed (exit ${created.code}): ${(created.stderr || created.stdout).trim().slice(0, 300)}`,
        );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The account's lock is the service's, whatever the client address. Where the target
    // gives the gateway's own address, the attack comes from one made-up client address
    // (TEST-NET-2, in X-Forwarded-For, which the gateway believes from loopback), so the
    // failures do not count against the real client's address (the source block).
    const gateway = ctx.target.services.gateway;
    const source = `198.51.100.${randomInt(1, 255)}`;
    const attempt = (pw: string, label: string) =>
      gateway
        ? ctx.http({
            method: 'POST',
            url: `${gateway}${LOGIN_PATH}`,
            json: { email, password: pw },
            headers: { Accept: 'application/json', 'X-Forwarded-For': source },
            label,
          })
        : login(ctx, email, pw, label);
    ctx.note(gateway ? `through the gateway as client ${source}` : 'through the public URL');
    try {
      const before = await attempt(password, 'the throwaway account signs in');
      ctx.check({
        id: 'account-works',
        title: 'the throwaway account signs in with its password (before the attack)',
        pass: before.status === 200,
        expected: 200,
        actual: `${before.error ?? before.status} ${errorCode(before) ?? ''}`.trim(),
        remediation: 'Local sign-in does not work for a new account: see cp-02.admin-login and the api log.',
        evidence: [before],
      });
      if (before.status !== 200) return;

      const trail: string[] = [];
      let failures = 0;
      let attempts = 0;
      let locked: HttpResult | undefined;
      let blockedSource: HttpResult | undefined;
      ctx.note('wrong passwords');
      while (!locked && !blockedSource && attempts < MAX_ATTEMPTS) {
        const wave = await Promise.all(
          Array.from({ length: Math.min(WAVE, MAX_ATTEMPTS - attempts) }, (_, i) =>
            attempt(
              `wrong-${attempts + i}-${randomBytes(4).toString('hex')}`,
              `wrong password #${attempts + i + 1}`,
            ),
          ),
        );
        attempts += wave.length;
        for (const r of wave) {
          const code = errorCode(r);
          trail.push(`${r.status} ${code ?? ''} ${r.durationMs} ms`);
          if (r.status === 401) failures++;
          else if (code === 'ACCOUNT_LOCKED') locked ??= r;
          else if (code === 'SOURCE_BLOCKED') blockedSource ??= r;
          // other 429s (the /auth rate limit): not counted, the next wave tries again
        }
        ctx.note(`${failures} failures`);
        if (!locked) await sleep(700);
      }
      const right = locked ? await attempt(password, 'the right password while locked') : undefined;
      const ev = await ctx.evidence(
        'attempts',
        `wrong passwords for ${email} in waves of ${WAVE}, ${gateway ? `at the gateway as client ${source}` : 'through the public URL'}:\n${trail.map((t, i) => `#${i + 1} ${t}`).join('\n')}\n` +
          (right ? `right password after the lock: ${right.status} ${errorCode(right) ?? ''}\n` : ''),
        'text',
      );
      ctx.metric('lockout', { failuresBeforeLock: failures, attempts });
      ctx.check({
        id: 'locks',
        title: `repeated wrong passwords lock the account (within ${MAX_ATTEMPTS} attempts)`,
        pass: locked !== undefined,
        expected: '429 ACCOUNT_LOCKED with Retry-After',
        actual: locked
          ? `locked after ${failures} failed sign-ins (Retry-After ${locked.headers['retry-after'] ?? 'absent'} s)`
          : blockedSource
            ? `the source address was blocked (SOURCE_BLOCKED) after ${failures} failures, before the account`
            : `${failures} failed sign-ins out of ${attempts} attempts and still not locked`,
        remediation:
          'Lock an account after repeated failures (AUTH_LOCKOUT_THRESHOLD within AUTH_LOCKOUT_SECONDS) and slow down failing attempts, so passwords cannot be guessed online; count every attempt before checking the password.',
        evidence: [ev, locked],
      });
      if (right)
        ctx.check({
          id: 'right-password-refused',
          title: 'while locked, even the right password is refused',
          pass: right.status === 429 || right.status === 423 || right.status === 403,
          expected: 'refused (429 ACCOUNT_LOCKED)',
          actual: `${right.error ?? right.status} ${errorCode(right) ?? ''}`.trim(),
          remediation:
            'A locked account must refuse the right password too until the lock expires; otherwise the lock only slows guessing down.',
          evidence: [right],
        });
    } finally {
      if (userId) {
        // the account served its purpose: remove it from the organization
        const admin = await adminAuth(ctx).catch(() => undefined);
        if (admin)
          await ctx.http({
            method: 'DELETE',
            url: `/api/v1/users/${userId}`,
            headers: { Accept: 'application/json', ...admin.headers },
            label: 'remove the throwaway account',
          });
      }
    }
  },
};

export const suite: Suite = {
  id: 'security',
  title: 'Security: rate limits, roles, audit trail, brute force',
  scenarios: [rateLimitForgedXff, roleMatrix, auditChainVerify, auditTamperRefused, bruteForceLockout],
};
