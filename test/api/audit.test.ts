// The audit trail on a real deployment: every mutating action is appended with actor,
// action, target, time, source address, request id and digests; the chain verifies;
// concurrent appends never fork it; the application role cannot UPDATE, DELETE or
// TRUNCATE it; a row changed (or removed) by a superuser is named by verify as the
// first broken link; the NDJSON export can be re-verified independently.
import { createHash } from 'node:crypto';
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
let api: ReturnType<typeof client>;
let orgId: string;

/** The export's rule, re-implemented here from its documentation (not imported). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function recompute(lines: Record<string, any>[]): { ok: boolean; brokenAt?: number } {
  let prev = '0'.repeat(64);
  for (const [i, e] of lines.entries()) {
    const { id: _id, hash, ...fields } = e;
    const expected = createHash('sha256')
      .update(canonical({ v: 1, ...fields }))
      .digest('hex');
    if (e.seq !== i + 1 || e.prevHash !== prev || expected !== hash) return { ok: false, brokenAt: e.seq };
    prev = hash;
  }
  return { ok: true };
}

beforeAll(async () => {
  env = await startApiDeployment();
  api = client(env, env.adminKey);
  orgId = (await api('GET', '/api/v1/organization')).body.id;
});

afterAll(async () => {
  await env?.close();
});

describe('appending', () => {
  it('records the actor, action, target, source address, request id and digests of a change', async () => {
    const created = await call(env, 'POST', '/api/v1/assets', {
      key: env.adminKey,
      body: card({ name: 'Audited asset' }),
      headers: { 'x-request-id': 'audit-test-req-1' },
    });
    expect(created.status).toBe(201);
    await api('PATCH', `/api/v1/assets/${created.body.id}`, { body: { name: 'Audited asset, renamed' } });
    const log = await api('GET', `/api/v1/audit?targetId=${created.body.id}`);
    const [updated, made] = log.body.items;
    expect(made).toMatchObject({
      action: 'asset.created',
      actor: { type: 'api-key', label: expect.stringContaining('test admin') },
      target: { type: 'asset', id: created.body.id },
      requestId: 'audit-test-req-1',
      sourceAddress: '127.0.0.1',
      beforeDigest: null,
      afterDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(updated.action).toBe('asset.updated');
    expect(updated.beforeDigest).toBe(made.afterDigest);
    expect(updated.prevHash).toBe(made.hash);
    expect(new Date(updated.occurredAt).getTime()).toBeGreaterThanOrEqual(
      new Date(made.occurredAt).getTime(),
    );
    const operator = await api('GET', '/api/v1/audit?actorType=operator&limit=200');
    expect(operator.body.items.map((e: { action: string }) => e.action)).toContain('apikey.created');
  });

  it('serializes concurrent appends into one unbroken chain', async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api('POST', '/api/v1/assets', { body: card({ name: `Concurrent ${i}` }) }),
      ),
    );
    const v = await api('GET', '/api/v1/audit/verify');
    expect(v.body).toMatchObject({ ok: true });
    expect(v.body.entries).toBeGreaterThanOrEqual(33);
    expect(v.body.headSeq).toBe(v.body.entries);
  });

  it('keeps one chain per organization', async () => {
    await createOrg(env, 'audit-b');
    const b = client(env, await createKey(env, 'audit-b', 'admin', '*'));
    await b('POST', '/api/v1/assets', { body: card() });
    const vb = await b('GET', '/api/v1/audit/verify');
    expect(vb.body.ok).toBe(true);
    const firstB = await b('GET', '/api/v1/audit?limit=200');
    expect(firstB.body.items.at(-1)).toMatchObject({
      seq: 1,
      action: 'org.created',
      prevHash: '0'.repeat(64),
    });
    expect(firstB.body.items.every((e: { orgId: string }) => e.orgId !== orgId)).toBe(true);
  });

  it('pages the list by sequence and validates its query', async () => {
    const p1 = await api('GET', '/api/v1/audit?limit=5');
    expect(p1.body.items).toHaveLength(5);
    const p2 = await api('GET', `/api/v1/audit?limit=5&before=${p1.body.nextBefore}`);
    expect(p2.body.items[0].seq).toBe(p1.body.items[4].seq - 1);
    expect((await api('GET', '/api/v1/audit?limit=500')).status).toBe(400);
    expect((await api('GET', '/api/v1/audit?actorType=robot')).status).toBe(400);
  });
});

describe('append-only for the application role', () => {
  it('refuses UPDATE, DELETE and TRUNCATE even within the organization', async () => {
    await withDb(env.appDbUrl, async (c) => {
      for (const sql of [
        `UPDATE audit_log SET action = 'asset.forged' WHERE seq = 1`,
        `DELETE FROM audit_log WHERE seq = 1`,
        `DELETE FROM audit_log`,
        `TRUNCATE audit_log`,
      ]) {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
        await expect(c.query(sql), sql).rejects.toThrow(/permission denied|append-only/);
        await c.query('ROLLBACK');
      }
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
      const n = await c.query(`SELECT count(*)::int AS n FROM audit_log`);
      expect(n.rows[0].n).toBeGreaterThan(0);
      await c.query('ROLLBACK');
    });
  });

  it('changes nothing even if the owner grants the privileges back (no UPDATE/DELETE policy, then the trigger)', async () => {
    await withDb(env.appDbUrl, async (c) => {
      await c.query('BEGIN');
      await c.query('GRANT UPDATE, DELETE ON audit_log TO CURRENT_USER');
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
      const upd = await c.query(`UPDATE audit_log SET action = 'asset.forged' WHERE seq = 1`);
      const del = await c.query(`DELETE FROM audit_log`);
      expect([upd.rowCount, del.rowCount]).toEqual([0, 0]);
      await c.query('ROLLBACK');
    });
    // the trigger itself, for any role that gets past privileges and RLS (here: a superuser)
    await withDb(env.superDbUrl, async (c) => {
      await expect(c.query(`UPDATE audit_log SET action = 'asset.forged' WHERE seq = 1`)).rejects.toThrow(
        /append-only/,
      );
      await expect(c.query(`DELETE FROM audit_log WHERE seq = 1`)).rejects.toThrow(/append-only/);
    });
    expect((await api('GET', '/api/v1/audit/verify')).body.ok).toBe(true);
  });
});

describe('tampering is detected', () => {
  it('names a row changed by a superuser as the first broken link, and the export shows it too', async () => {
    const before = await api('GET', '/api/v1/audit/verify');
    expect(before.body.ok).toBe(true);
    const target = 3;
    await withDb(env.superDbUrl, async (c) => {
      await c.query('BEGIN');
      await c.query(`SET LOCAL session_replication_role = replica`); // bypasses the trigger, as an attacker with superuser would
      const r = await c.query(
        `UPDATE audit_log SET actor_label = 'someone else' WHERE organization_id = $1 AND seq = $2`,
        [orgId, target],
      );
      expect(r.rowCount).toBe(1);
      await c.query('COMMIT');
    });
    const v = await api('GET', '/api/v1/audit/verify');
    expect(v.body.ok).toBe(false);
    expect(v.body.firstBroken).toMatchObject({ seq: target, reason: 'hash-mismatch' });
    const exported = await call(env, 'GET', '/api/v1/audit/export', { key: env.adminKey });
    expect(exported.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(before.body.entries);
    expect(Object.keys(lines[0]).sort()).toEqual(
      [
        'id',
        'orgId',
        'seq',
        'occurredAt',
        'actor',
        'action',
        'target',
        'sourceAddress',
        'requestId',
        'beforeDigest',
        'afterDigest',
        'prevHash',
        'hash',
      ].sort(),
    );
    expect(recompute(lines)).toEqual({ ok: false, brokenAt: target });
    // the untampered prefix re-verifies independently
    expect(recompute(lines.slice(0, target - 1))).toEqual({ ok: true });
  });

  it('names the gap when a superuser deletes an entry', async () => {
    await createOrg(env, 'audit-c');
    const cKey = await createKey(env, 'audit-c', 'admin', '*');
    const c = client(env, cKey);
    for (let i = 0; i < 4; i++) await c('POST', '/api/v1/assets', { body: card({ name: `C ${i}` }) });
    expect((await c('GET', '/api/v1/audit/verify')).body.ok).toBe(true);
    const orgC = (await c('GET', '/api/v1/organization')).body.id;
    await withDb(env.superDbUrl, async (db) => {
      await db.query('BEGIN');
      await db.query(`SET LOCAL session_replication_role = replica`);
      await db.query(`DELETE FROM audit_log WHERE organization_id = $1 AND seq = 2`, [orgC]);
      await db.query('COMMIT');
    });
    const v = await c('GET', '/api/v1/audit/verify');
    expect(v.body).toMatchObject({ ok: false, firstBroken: { seq: 3, reason: 'seq-gap' } });
  });

  it('the export of an intact chain re-verifies outside the server', async () => {
    await createOrg(env, 'audit-d');
    const d = client(env, await createKey(env, 'audit-d', 'admin', '*'));
    for (let i = 0; i < 3; i++) await d('POST', '/api/v1/assets', { body: card({ name: `D ${i}` }) });
    const exported = await d('GET', '/api/v1/audit/export');
    const lines = exported.text
      .trim()
      .split('\n')
      .map((l: string) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(recompute(lines)).toEqual({ ok: true });
  });
});
