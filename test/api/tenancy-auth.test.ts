// Tenancy and identity on a real deployment: API-key authentication (missing, invalid,
// revoked, expired, scopes, roles), /me, organization and member routes, API key
// management without privilege escalation, and row-level security as the second line:
// the application role sees nothing without an organization, and another organization's
// rows are invisible and unwritable even without a WHERE clause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  card,
  client,
  createKey,
  createOrg,
  startApiDeployment,
  withDb,
  type ApiEnv,
} from './support.js';

let env: ApiEnv;
let orgB: string;
let keyB: string;
let assetA: string;
let assetB: string;

beforeAll(async () => {
  env = await startApiDeployment();
  orgB = await createOrg(env, 'tenant-b');
  keyB = await createKey(env, 'tenant-b', 'admin', '*');
  assetA = (await client(env, env.adminKey)('POST', '/api/v1/assets', { body: card({ name: 'Asset of A' }) }))
    .body.id;
  assetB = (await client(env, keyB)('POST', '/api/v1/assets', { body: card({ name: 'Asset of B' }) })).body
    .id;
  expect(assetA).toBeTruthy();
  expect(assetB).toBeTruthy();
});

afterAll(async () => {
  await env?.close();
});

describe('API key authentication', () => {
  it('answers 401 in the envelope without credentials, and health stays public', async () => {
    const r = await call(env, 'GET', '/api/v1/assets');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHENTICATED');
    expect(r.body.error.requestId).toBeTruthy();
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call(env, 'GET', '/api/v1/health')).status).toBe(200);
    expect((await call(env, 'GET', '/v1/health')).status).toBe(200);
  });

  it('refuses malformed, unknown and wrong-secret keys alike', async () => {
    const valid = env.adminKey;
    const wrongSecret = valid.slice(0, -4) + (valid.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const key of ['nonsense', 'aigos_short', 'aigos_abcdefghijkl_' + 'A'.repeat(43), wrongSecret]) {
      const r = await call(env, 'GET', '/api/v1/me', { key });
      expect(r.status, key).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
    }
    expect((await call(env, 'GET', '/api/v1/me', { headers: { authorization: 'Basic abc' } })).status).toBe(
      401,
    );
  });

  it('accepts X-API-Key as well as Authorization: Bearer', async () => {
    const r = await call(env, 'GET', '/api/v1/me', { headers: { 'x-api-key': env.adminKey } });
    expect(r.status).toBe(200);
  });

  it('GET /api/v1/me names the organization, role, scopes and key; last use is recorded', async () => {
    const me = await call(env, 'GET', '/api/v1/me', { key: env.adminKey });
    expect(me.status).toBe(200);
    expect(me.body.organization.slug).toBe('default');
    expect(me.body.role).toBe('admin');
    expect(me.body.scopes).toEqual(['*']);
    expect(me.body.authentication.kind).toBe('api-key');
    expect(me.body.authentication.apiKey.name).toBe('test admin');
    const keys = await call(env, 'GET', '/api/v1/api-keys', { key: env.adminKey });
    const mine = keys.body.items.find((k: { name: string }) => k.name === 'test admin');
    expect(mine.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(keys.body)).not.toContain(env.adminKey.split('_')[2]);
  });

  it('enforces scopes and roles with 403 in the envelope', async () => {
    const seedKey = await createKey(env, 'default', 'editor', 'events:write,events:read,assets:read');
    const seed = client(env, seedKey);
    expect((await seed('GET', '/api/v1/assets')).status).toBe(200);
    const write = await seed('POST', '/api/v1/assets', { body: card() });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('FORBIDDEN');
    expect(write.body.error.message).toContain('assets:write');
    const viewer = client(env, await createKey(env, 'default', 'viewer', '*'));
    const v = await viewer('POST', '/api/v1/assets', { body: card() });
    expect(v.status).toBe(403);
    expect(v.body.error.message).toContain('editor');
    expect((await viewer('GET', '/api/v1/audit/verify')).status).toBe(403);
  });

  it('refuses a revoked key at once and an expired key', async () => {
    const key = await createKey(env, 'default', 'viewer', 'assets:read');
    expect((await call(env, 'GET', '/api/v1/assets', { key })).status).toBe(200);
    const prefix = key.split('_')[1]!;
    const revoked = await env.admin('apikey', 'revoke', '--org', 'default', '--key', prefix);
    expect(revoked.code, revoked.stderr).toBe(0);
    const r = await call(env, 'GET', '/api/v1/assets', { key });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/revoked/);

    const admin = client(env, env.adminKey);
    const soon = await admin('POST', '/api/v1/api-keys', {
      body: {
        name: 'short-lived',
        role: 'viewer',
        scopes: ['assets:read'],
        expiresAt: new Date(Date.now() + 1500).toISOString(),
      },
    });
    expect(soon.status).toBe(201);
    expect(soon.headers.get('cache-control')).toBe('no-store');
    expect((await call(env, 'GET', '/api/v1/assets', { key: soon.body.key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1700));
    const expired = await call(env, 'GET', '/api/v1/assets', { key: soon.body.key });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toMatch(/expired/);
  });

  it('never mints a key stronger than its creator', async () => {
    const limited = client(env, await createKey(env, 'default', 'admin', 'org:admin,assets:read'));
    const r = await limited('POST', '/api/v1/api-keys', {
      body: { name: 'escalate', role: 'admin', scopes: ['assets:write', '*'] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual(['scopes[0]', 'scopes[1]']);
    const editor = client(env, await createKey(env, 'default', 'editor', '*'));
    expect(
      (await editor('POST', '/api/v1/api-keys', { body: { name: 'x', scopes: ['assets:read'] } })).status,
    ).toBe(403);
  });

  it('lists, creates and revokes keys over the API; revoking twice is harmless', async () => {
    const admin = client(env, env.adminKey);
    const created = await admin('POST', '/api/v1/api-keys', {
      body: { name: 'ci', role: 'editor', scopes: ['events:write'], expiresInDays: 30 },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^aigos_[a-z0-9]{12}_[A-Za-z0-9]{43}$/);
    const first = await admin('DELETE', `/api/v1/api-keys/${created.body.id}`);
    expect(first.status).toBe(200);
    expect(first.body.revokedAt).not.toBeNull();
    const again = await admin('DELETE', `/api/v1/api-keys/${created.body.id}`);
    expect(again.body.revokedAt).toBe(first.body.revokedAt);
    expect((await admin('DELETE', '/api/v1/api-keys/not-a-uuid')).status).toBe(404);
  });
});

describe('organization and members', () => {
  it('reads the organization; API-added domains are unverified; invalid input names the field', async () => {
    const admin = client(env, env.adminKey);
    const org = await admin('GET', '/api/v1/organization');
    expect(org.body.slug).toBe('default');
    const added = await admin('POST', '/api/v1/organization/domains', { body: { domain: 'Example.ORG' } });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ domain: 'example.org', verified: false });
    expect(
      (await admin('POST', '/api/v1/organization/domains', { body: { domain: 'example.org' } })).status,
    ).toBe(409);
    const bad = await admin('POST', '/api/v1/organization/domains', {
      body: { domain: 'not a domain', verified: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'domain',
      'verified',
    ]);
    expect((await admin('DELETE', '/api/v1/organization/domains/example.org')).status).toBe(204);
  });

  it('creates members, changes roles, keeps the last admin, and 404s other organizations’ users', async () => {
    const admin = client(env, env.adminKey);
    const weak = await admin('POST', '/api/v1/users', {
      body: { email: 'no', name: '', role: 'boss', password: 'short' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'email',
      'name',
      'password',
      'role',
    ]);
    const u = await admin('POST', '/api/v1/users', {
      body: { email: 'eve@example.com', name: 'Eve', role: 'viewer', password: 'a-long-enough-password' },
    });
    expect(u.status).toBe(201);
    expect(u.body).toMatchObject({ email: 'eve@example.com', role: 'viewer', mustChangePassword: true });
    expect(
      (
        await admin('POST', '/api/v1/users', {
          body: { email: 'EVE@example.com', name: 'Eve', role: 'viewer' },
        })
      ).status,
    ).toBe(409);
    const promoted = await admin('PATCH', `/api/v1/users/${u.body.id}`, { body: { role: 'editor' } });
    expect(promoted.body.role).toBe('editor');
    const list = await admin('GET', '/api/v1/users?limit=200');
    expect(list.body.items.map((m: { email: string }) => m.email)).toContain('eve@example.com');
    const seededAdmin = list.body.items.find((m: { role: string }) => m.role === 'admin');
    const last = await admin('PATCH', `/api/v1/users/${seededAdmin.id}`, { body: { role: 'viewer' } });
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('LAST_ADMIN');
    // tenant B cannot see or change A's member
    const b = client(env, keyB);
    expect((await b('GET', `/api/v1/users/${u.body.id}`)).status).toBe(404);
    expect((await b('PATCH', `/api/v1/users/${u.body.id}`, { body: { role: 'admin' } })).status).toBe(404);
    expect((await b('DELETE', `/api/v1/users/${u.body.id}`)).status).toBe(404);
    expect((await admin('DELETE', `/api/v1/users/${u.body.id}`)).status).toBe(204);
  });
});

describe('cross-organization isolation through the API', () => {
  it('another organization’s asset is 404 for read, update, lifecycle, evidence and compliance', async () => {
    const b = client(env, keyB);
    const notFound = (r: { status: number; body: { error: { code: string } } }) => {
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    };
    notFound(await b('GET', `/api/v1/assets/${assetA}`));
    notFound(await b('PATCH', `/api/v1/assets/${assetA}`, { body: { name: 'hijacked' } }));
    notFound(await b('POST', `/api/v1/assets/${assetA}/lifecycle`, { body: { status: 'registered' } }));
    notFound(await b('GET', `/api/v1/assets/${assetA}/evidence`));
    notFound(await b('GET', `/api/v1/compliance/assets/${assetA}`));
    notFound(await b('GET', `/api/v1/assets/${assetA}/export`));
    // and the same answer as for an id that exists nowhere
    notFound(await b('GET', '/api/v1/assets/aigrc-2099-00000000'));
    const list = await b('GET', '/api/v1/assets?limit=200');
    expect(list.body.items.map((a: { id: string }) => a.id)).toEqual([assetB]);
    const a = await client(env, env.adminKey)('GET', `/api/v1/assets/${assetA}`);
    expect(a.body.name).toBe('Asset of A');
  });

  it('an import in B with A’s card id creates B’s own card and leaves A’s untouched', async () => {
    const b = client(env, keyB);
    const r = await b('POST', '/api/v1/assets/import', { body: [card({ id: assetA, name: 'B copy' })] });
    expect(r.status).toBe(201);
    expect(r.body.created).toBe(1);
    expect((await client(env, env.adminKey)('GET', `/api/v1/assets/${assetA}`)).body.name).toBe('Asset of A');
  });
});

describe('row-level security for the application role', () => {
  const orgA = async () =>
    withDb(
      env.appDbUrl,
      async (c) =>
        (await c.query<{ id: string }>(`SELECT id FROM organizations WHERE slug = 'default'`)).rows[0]!.id,
    );

  it('sees no organization-scoped row without app.org_id, even without a WHERE clause', async () => {
    await withDb(env.appDbUrl, async (c) => {
      for (const table of [
        'asset_cards',
        'api_keys',
        'policy_packs',
        'audit_log',
        'evidence',
        'asset_compliance',
        'compliance_history',
        'compliance_reports',
      ]) {
        const r = await c.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect(r.rows[0].n, table).toBe(0);
      }
      const all = await withDb(env.superDbUrl, (s) => s.query(`SELECT count(*)::int AS n FROM asset_cards`));
      expect(all.rows[0].n).toBeGreaterThanOrEqual(3);
    });
  });

  it('with app.org_id set sees only that organization and cannot write or move rows into another', async () => {
    const a = await orgA();
    await withDb(env.appDbUrl, async (c) => {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgB]);
      const rows = await c.query<{ organization_id: string; card_id: string }>(
        `SELECT organization_id, card_id FROM asset_cards`,
      );
      expect(rows.rows.length).toBeGreaterThan(0);
      expect(new Set(rows.rows.map((r) => r.organization_id))).toEqual(new Set([orgB]));
      // a forgotten WHERE: the update touches only B's rows, never A's
      // (B holds its own card with A's card id, imported above: only that one is touched)
      const upd = await c.query<{ organization_id: string }>(
        `UPDATE asset_cards SET name = name WHERE card_id = $1 RETURNING organization_id`,
        [assetA],
      );
      expect(upd.rows.map((r) => r.organization_id)).toEqual([orgB]);
      const rowsA = await c.query(`SELECT 1 FROM asset_cards WHERE organization_id = $1`, [a]);
      expect(rowsA.rowCount).toBe(0);
      // writing a row for A while bound to B is refused by the policy
      await expect(
        c.query(
          `INSERT INTO asset_cards (organization_id, card_id, name, tech_type, risk_level, governance_status, card)
           VALUES ($1, 'rls-probe', 'probe', 'model', 'minimal', 'draft', '{}')`,
          [a],
        ),
      ).rejects.toThrow(/row-level security/);
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgB]);
      await expect(c.query(`UPDATE asset_cards SET organization_id = $1`, [a])).rejects.toThrow(
        /row-level security/,
      );
      await c.query('ROLLBACK');
    });
  });

  it('RLS is forced for the owning role and enabled on every organization-scoped table', async () => {
    const r = await withDb(env.superDbUrl, (c) =>
      c.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; owner: string }>(
        `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner
           FROM pg_class c WHERE c.relname = ANY($1)`,
        [
          [
            'asset_cards',
            'api_keys',
            'policy_packs',
            'audit_log',
            'evidence',
            'asset_compliance',
            'compliance_history',
            'compliance_reports',
          ],
        ],
      ),
    );
    expect(r.rows).toHaveLength(8);
    for (const row of r.rows) {
      expect(row.owner, row.relname).toBe('aigos');
      expect(row.relrowsecurity && row.relforcerowsecurity, row.relname).toBe(true);
    }
  });
});
