// Contract tests of the governance events API (contracts.md §3) against a real local
// deployment, through the gateway under /v1 and /api/v1. Decisions pinned here:
// a producer-set receivedAt is REFUSED (400 EVT_RECEIVED_AT_REJECTED, like the upstream
// validator), and a previousHash break is accepted but recorded (warning CHAIN_BROKEN, an
// aigrc.audit.chain.broken event in the asset's stream and an audit-trail entry).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDeployment } from '../support/harness.js';
import {
  call,
  createApiKey,
  createOrg,
  type ExtraApi,
  hashOf,
  makeEvent,
  newEventId,
  type Org,
  orgBySlug,
  rehash,
  startExtraApi,
  type TestEvent,
  withDb,
} from './support.js';

let dep: TestDeployment;
let gw: string;
let org: Org;
let other: Org;
let key: string; // events:write, events:read, assets:read
let otherKey: string;

beforeAll(async () => {
  dep = await TestDeployment.start();
  gw = dep.endpoints.gateway;
  org = await orgBySlug(dep, 'default');
  other = await createOrg(dep, 'other-org');
  key = await createApiKey(dep, org);
  otherKey = await createApiKey(dep, other);
});

afterAll(async () => {
  await dep?.destroy();
});

const push = (e: unknown, token = key, base = '/v1') =>
  call(gw, 'POST', `${base}/events`, { token, body: e });
const batch = (body: unknown, token = key) => call(gw, 'POST', '/v1/events/batch', { token, body });

describe('health and authentication', () => {
  it('GET /v1/health is public under both base paths', async () => {
    for (const path of ['/v1/health', '/api/v1/health']) {
      const r = await call(gw, 'GET', path);
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('ok');
    }
  });

  it('refuses a request without a bearer token or with an unknown one (401, error envelope)', async () => {
    const none = await call(gw, 'GET', '/v1/events');
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'UNAUTHENTICATED', requestId: expect.any(String) });
    const bad = await call(gw, 'GET', '/v1/events', { token: `aigos_${'a'.repeat(12)}_${'B'.repeat(43)}` });
    expect(bad.status).toBe(401);
  });

  it('needs events:write to push, events:read to read, assets:read for assets (403)', async () => {
    const readOnly = await createApiKey(dep, org, { scopes: ['events:read'] });
    const writeOnly = await createApiKey(dep, org, { scopes: ['events:write'] });
    expect((await push(makeEvent(org.slug), readOnly)).status).toBe(403);
    expect((await batch([makeEvent(org.slug)], readOnly)).status).toBe(403);
    expect((await call(gw, 'GET', '/v1/events', { token: writeOnly })).status).toBe(403);
    expect((await call(gw, 'GET', '/v1/assets', { token: readOnly })).status).toBe(403);
    expect((await call(gw, 'GET', '/v1/events', { token: readOnly })).status).toBe(200);
    expect((await push(makeEvent(org.slug), writeOnly)).status).toBe(201);
  });
});

describe('POST /v1/events', () => {
  it('creates (201), then answers the same event again with 200 (duplicate, same receivedAt)', async () => {
    const e = makeEvent(org.slug);
    const first = await push(e);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'accepted', eventId: e.id, receivedAt: expect.any(String) });
    const again = await push(e, key, '/api/v1');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      status: 'accepted',
      eventId: e.id,
      receivedAt: first.body.receivedAt,
    });
  });

  it('answers 409 for the same id with a changed field, and keeps the original', async () => {
    const e = makeEvent(org.slug);
    expect((await push(e)).status).toBe(201);
    const changed = rehash({ ...e, data: { findings: 99 } });
    const r = await push(changed);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'EVT_ID_CONFLICT', requestId: expect.any(String) });
    const stored = await call(gw, 'GET', `/v1/events/${e.id}`, { token: key });
    expect(stored.body.data).toEqual(e.data);
    expect(stored.body.hash).toBe(e.hash);
  });

  it('refuses a body with receivedAt set (400 EVT_RECEIVED_AT_REJECTED); the server sets it', async () => {
    const e = makeEvent(org.slug);
    const withReceived = { ...e, receivedAt: '2020-01-01T00:00:00.000Z' }; // excluded from the hash
    const r = await push(withReceived);
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { code: string }) => d.code)).toContain('EVT_RECEIVED_AT_REJECTED');
    expect((await call(gw, 'GET', `/v1/events/${e.id}`, { token: key })).status).toBe(404);
    const before = Date.now();
    expect((await push(e)).status).toBe(201);
    const stored = await call(gw, 'GET', `/v1/events/${e.id}`, { token: key });
    expect(Math.abs(Date.parse(stored.body.receivedAt) - before)).toBeLessThan(10_000);
  });

  it('accepts a hash computed over any key order (canonical form), refuses a non-canonical one', async () => {
    const e = makeEvent(org.slug, { data: { zeta: 1, alpha: { y: [3, { b: 2, a: 1 }], x: 'é✓' } } });
    // rebuild the object with every key in reverse order, nested too
    const reverse = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverse)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .reverse()
                .map((k) => [k, reverse((v as Record<string, unknown>)[k])]),
            )
          : v;
    const reordered = reverse(e) as Record<string, unknown>;
    expect(Object.keys(reordered)[0]).not.toBe(Object.keys(e)[0]);
    expect(hashOf(reordered)).toBe(e.hash);
    expect((await push(reordered)).status).toBe(201);

    const f = makeEvent(org.slug);
    const { hash: _h, ...unhashed } = f;
    const naive = `sha256:${createHash('sha256').update(JSON.stringify(unhashed)).digest('hex')}`; // insertion order
    expect(naive).not.toBe(f.hash);
    const r = await push({ ...f, hash: naive });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toContainEqual(
      expect.objectContaining({ code: 'EVT_HASH_INVALID', field: 'hash' }),
    );
  });

  it('stores quotes, backslashes and non-ASCII text exactly (single and batch)', async () => {
    const tricky = `it's a \\ "test" \\' ; -- ü ✓ 𝄞`;
    const e = makeEvent(org.slug, {
      assetId: `asset ${tricky}`,
      data: { note: tricky, nested: { path: 'C:\\tmp\\x' } },
    });
    const f = makeEvent(org.slug, {
      assetId: `asset ${tricky}`,
      previousHash: e.hash,
      data: { note: tricky },
    });
    expect((await push(e)).status).toBe(201);
    const b = await batch([f]);
    expect(b.body.results[0]).toMatchObject({ status: 'created' });
    expect(b.body.results[0].warnings).toBeUndefined(); // the chain head was found under the tricky asset id
    for (const x of [e, f]) {
      const { receivedAt: _r, ...back } = (await call(gw, 'GET', `/v1/events/${x.id}`, { token: key })).body;
      expect(back).toEqual(x);
    }
    const nul = makeEvent(org.slug, { data: { note: 'a\u0000b' } });
    expect((await push(nul)).status).toBe(400);
  });

  it('collects every validation error, not just the first', async () => {
    const e = makeEvent(org.slug, {
      id: 'evt_NOT-HEX',
      type: 'aigrc.nope',
      data: {},
      goldenThread: { type: 'orphan' },
    });
    const r = await push(e);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('EVT_VALIDATION_FAILED');
    const codes = r.body.error.details.map((d: { code: string }) => d.code);
    expect(codes).toEqual(
      expect.arrayContaining([
        'EVT_ID_INVALID',
        'EVT_TYPE_INVALID',
        'EVT_DATA_EMPTY',
        'EVT_GOLDEN_THREAD_INVALID',
      ]),
    );
  });

  it('refuses what PostgreSQL cannot store or the server cannot walk, per event: far UTC offsets, deep nesting', async () => {
    // ISO allows offsets up to ±23:59, PostgreSQL up to ±15:59
    const far = makeEvent(org.slug, { producedAt: '2025-01-01T00:00:00+16:00' });
    const r = await push(far);
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ field: 'producedAt' });
    expect((await push(makeEvent(org.slug, { producedAt: '2025-01-01T00:00:00-15:59' }))).status).toBe(201);
    const since = await call(gw, 'GET', '/v1/events?since=2025-01-01T00:00:00%2B23:00', { token: key });
    expect(since.status).toBe(400);

    // `data` nested 10,000 levels deep (written as text: JSON.stringify cannot go that deep)
    const nested = makeEvent(org.slug, { data: 'DEEP', hash: `sha256:${'0'.repeat(64)}` });
    const deepJson = JSON.stringify(nested).replace(
      '"DEEP"',
      `${'{"d":'.repeat(10_000)}{"leaf":1}${'}'.repeat(10_000)}`,
    );
    const n = await call(gw, 'POST', '/v1/events', { token: key, raw: deepJson });
    expect(n.status).toBe(400);
    expect(n.body.error.details[0]).toMatchObject({ code: 'EVT_SCHEMA_INVALID' });
    expect(n.body.error.message).toMatch(/more than 64 levels deep/);

    // in a batch, only those events are refused
    const good = makeEvent(org.slug);
    const b = await call(gw, 'POST', '/v1/events/batch', {
      token: key,
      raw: `[${JSON.stringify(good)},${JSON.stringify(far)},${deepJson}]`,
    });
    expect(b.status).toBe(200);
    expect(b.body.results.map((x: { status: string }) => x.status)).toEqual([
      'created',
      'rejected',
      'rejected',
    ]);
    expect((await call(gw, 'GET', `/v1/events/${good.id}`, { token: key })).status).toBe(200);
  });

  it('checks type/category consistency, the orphan declaration and the schemaVersion', async () => {
    const mismatch = makeEvent(org.slug, { category: 'asset' });
    expect((await push(mismatch)).body.error.details[0].code).toBe('EVT_CATEGORY_MISMATCH');
    const orphan = makeEvent(org.slug, {
      goldenThread: {
        type: 'orphan',
        reason: 'discovery',
        declaredBy: 'dev@example.com',
        declaredAt: new Date().toISOString(),
        remediationDeadline: new Date(Date.now() + 86_400_000).toISOString(),
        remediationNote: 'too short',
      },
    });
    expect((await push(orphan)).body.error.details[0].code).toBe('EVT_ORPHAN_NOTE_TOO_SHORT');
    const okOrphan = rehash({
      ...orphan,
      goldenThread: { ...(orphan.goldenThread as object), remediationNote: 'link the JIRA ticket by Friday' },
    });
    expect((await push(okOrphan)).status).toBe(201);
    expect(
      (await push(makeEvent(org.slug, { schemaVersion: 'aigrc-events@1' }))).body.error.details[0].code,
    ).toBe('EVT_SCHEMA_VERSION_UNKNOWN');
  });

  it('refuses an event of another organization (403), in a batch too, and never shows it', async () => {
    const foreign = makeEvent(other.slug);
    const r = await push(foreign);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('EVT_ORG_MISMATCH');
    const b = await batch([foreign]);
    expect(b.body.results[0]).toMatchObject({ status: 'rejected', error: { code: 'EVT_ORG_MISMATCH' } });
    expect((await call(gw, 'GET', `/v1/events?orgId=${other.slug}`, { token: key })).status).toBe(403);
    // the organization's UUID is accepted as its orgId as well as its slug
    expect((await push(makeEvent(org.id))).status).toBe(201);
    // another organization's key does not see this organization's events
    const mine = makeEvent(org.slug);
    expect((await push(mine)).status).toBe(201);
    expect((await call(gw, 'GET', `/v1/events/${mine.id}`, { token: otherKey })).status).toBe(404);
    const theirs = await call(gw, 'GET', '/v1/events?limit=1000', { token: otherKey });
    expect(theirs.body.events.find((x: { id: string }) => x.id === mine.id)).toBeUndefined();
  });
});

describe('POST /v1/events/batch', () => {
  it('stores 3 valid events and explains 2 invalid ones (200, partial acceptance)', async () => {
    const valid = [makeEvent(org.slug), makeEvent(org.slug), makeEvent(org.slug)];
    const badHash = { ...makeEvent(org.slug), hash: `sha256:${'0'.repeat(64)}` };
    const badId = makeEvent(org.slug, { id: 'evt_123' });
    const body = [valid[0], badHash, valid[1], badId, valid[2]];
    const r = await batch(body);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 3, rejected: 2, duplicate: 0 });
    expect(r.body.results.map((x: { status: string }) => x.status)).toEqual([
      'created',
      'rejected',
      'created',
      'rejected',
      'created',
    ]);
    expect(r.body.results[1]).toMatchObject({
      id: badHash.id,
      status: 'rejected',
      error: { code: 'EVT_HASH_INVALID' },
    });
    expect(r.body.results[3]).toMatchObject({
      id: 'evt_123',
      status: 'rejected',
      error: { code: 'EVT_ID_INVALID' },
    });
    for (const e of valid)
      expect((await call(gw, 'GET', `/v1/events/${e.id}`, { token: key })).status).toBe(200);
    expect((await call(gw, 'GET', `/v1/events/${badHash.id}`, { token: key })).status).toBe(404);

    // again: duplicates; a changed one is rejected as a conflict
    const again = await batch({ events: [valid[0], rehash({ ...valid[1], data: { changed: true } })] });
    expect(again.body).toMatchObject({ accepted: 0, duplicate: 1, rejected: 1 });
    expect(again.body.results[1].error.code).toBe('EVT_ID_CONFLICT');
  });

  it('settles the same id twice in one batch (duplicate or conflict)', async () => {
    const e = makeEvent(org.slug);
    const r = await batch([e, e, rehash({ ...e, data: { other: 1 } })]);
    expect(r.body.results.map((x: { status: string }) => x.status)).toEqual([
      'created',
      'duplicate',
      'rejected',
    ]);
  });

  it('takes up to 1000 events; more is 413; a non-array body is 400', async () => {
    const many = Array.from({ length: 1000 }, () => makeEvent(org.slug, { assetId: 'bulk-asset' }));
    const r = await batch(many);
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(1000);
    expect((await batch([...many, makeEvent(org.slug)])).status).toBe(413);
    expect((await batch({ nope: 1 })).status).toBe(400);
  });
});

describe('reading events and assets', () => {
  it('lists with filters (assetId or asset_id, type, criticality, since) and limit/offset pagination', async () => {
    const assetId = `asset-${newEventId().slice(4, 12)}`;
    const t0 = Date.now();
    const events = [
      makeEvent(org.slug, { assetId, producedAt: new Date(t0 - 3000).toISOString() }),
      makeEvent(org.slug, { assetId, criticality: 'high', producedAt: new Date(t0 - 2000).toISOString() }),
      makeEvent(org.slug, {
        assetId,
        type: 'aigrc.asset.created',
        category: 'asset',
        producedAt: new Date(t0 - 1000).toISOString(),
      }),
    ];
    expect((await batch(events)).body.accepted).toBe(3);
    const all = await call(gw, 'GET', `/v1/events?assetId=${assetId}`, { token: key });
    expect(all.body).toMatchObject({ total: 3, limit: 20, offset: 0 });
    expect(all.body.events.map((e: { id: string }) => e.id)).toEqual([
      events[2]!.id,
      events[1]!.id,
      events[0]!.id,
    ]);
    expect(all.body.events[0].receivedAt).toEqual(expect.any(String));
    const snake = await call(gw, 'GET', `/v1/events?asset_id=${assetId}&limit=1&offset=1`, { token: key });
    expect(snake.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(snake.body.events.map((e: { id: string }) => e.id)).toEqual([events[1]!.id]);
    const high = await call(gw, 'GET', `/v1/events?assetId=${assetId}&criticality=high`, { token: key });
    expect(high.body.events.map((e: { id: string }) => e.id)).toEqual([events[1]!.id]);
    const typed = await call(gw, 'GET', `/api/v1/events?assetId=${assetId}&type=aigrc.asset.created`, {
      token: key,
    });
    expect(typed.body.total).toBe(1);
    const since = await call(
      gw,
      'GET',
      `/v1/events?assetId=${assetId}&since=${new Date(t0 - 1500).toISOString()}`,
      { token: key },
    );
    expect(since.body.total).toBe(1);
    const viaAsset = await call(gw, 'GET', `/v1/assets/${assetId}/events?limit=2`, { token: key });
    expect(viaAsset.body).toMatchObject({ total: 3, limit: 2 });
    const bad = await call(gw, 'GET', '/v1/events?limit=abc&since=yesterday', { token: key });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toHaveLength(2);
  });

  it('GET /v1/events/:id returns the stored event with receivedAt; unknown is 404', async () => {
    const e = makeEvent(org.slug);
    await push(e);
    const r = await call(gw, 'GET', `/v1/events/${e.id}`, { token: key });
    expect(r.status).toBe(200);
    const { receivedAt, ...rest } = r.body;
    expect(receivedAt).toEqual(expect.any(String));
    expect(rest).toEqual(e);
    expect(hashOf(r.body)).toBe(e.hash);
    const missing = await call(gw, 'GET', `/v1/events/${newEventId()}`, { token: key });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('EVT_NOT_FOUND');
  });

  it('GET /v1/assets summarizes each asset (assetId, lastEventAt, eventCount, latestType)', async () => {
    const assetId = `assets-${newEventId().slice(4, 12)}`;
    await batch([
      makeEvent(org.slug, { assetId, producedAt: '2025-01-01T00:00:00.000Z' }),
      makeEvent(org.slug, {
        assetId,
        type: 'aigrc.asset.retired',
        category: 'asset',
        producedAt: '2025-01-02T00:00:00.000Z',
      }),
    ]);
    const r = await call(gw, 'GET', '/v1/assets?limit=1000', { token: key });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: expect.any(Number), limit: 1000, offset: 0 });
    expect(r.body.assets).toContainEqual({
      assetId,
      lastEventAt: '2025-01-02T00:00:00.000Z',
      eventCount: 2,
      latestType: 'aigrc.asset.retired',
    });
  });
});

describe('previousHash continuity per asset', () => {
  it('links a continuing chain and records a break as aigrc.audit.chain.broken', async () => {
    const assetId = `chain-${newEventId().slice(4, 12)}`;
    const a = makeEvent(org.slug, { assetId });
    const b = makeEvent(org.slug, { assetId, previousHash: a.hash });
    expect((await push(a)).status).toBe(201);
    const linked = await push(b);
    expect(linked.status).toBe(201);
    expect(linked.body.warnings).toBeUndefined();

    const c = makeEvent(org.slug, { assetId, previousHash: a.hash }); // skips b: a fork
    const broken = await push(c);
    expect(broken.status).toBe(201);
    expect(broken.body.warnings[0]).toMatchObject({ code: 'CHAIN_BROKEN', asset: assetId });
    const records = await call(gw, 'GET', `/v1/events?assetId=${assetId}&type=aigrc.audit.chain.broken`, {
      token: key,
    });
    expect(records.body.total).toBe(1);
    const rec = records.body.events[0];
    expect(rec).toMatchObject({
      category: 'audit',
      source: { tool: 'platform' },
      parentEventId: c.id,
      data: { brokenEventId: c.id, declaredPreviousHash: a.hash, expectedPreviousHash: b.hash },
    });
    expect(hashOf(rec)).toBe(rec.hash);

    // the chain continues from the event that broke it (server records are not links)
    const d = makeEvent(org.slug, { assetId, previousHash: c.hash });
    expect((await push(d)).body.warnings).toBeUndefined();
    // in a batch too
    const e = makeEvent(org.slug, { assetId, previousHash: d.hash });
    const f = makeEvent(org.slug, { assetId, previousHash: `sha256:${'f'.repeat(64)}` });
    const r = await batch([e, f]);
    expect(r.body.results[0].warnings).toBeUndefined();
    expect(r.body.results[1].warnings[0].code).toBe('CHAIN_BROKEN');

    const audit = await withDb(dep, async (db) => {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('app.org_id', $1, true)`, [org.id]);
      const rows = await db.query(`SELECT target_id FROM audit_log WHERE action = 'event.chain.broken'`);
      await db.query('COMMIT');
      return rows.rows.map((x) => x.target_id as string);
    });
    expect(audit).toEqual(expect.arrayContaining([c.id, f.id]));
  });
});

// Most pushes take the one-statement path (every event new, every chain continued); the
// rest fall back to the general path. Both must agree, also when requests race.
describe('ingest of new events and races', () => {
  const chainStatus = (ids: string[]) =>
    withDb(dep, async (db) => {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('app.org_id', $1, true)`, [org.id]);
      const rows = await db.query<{ id: string; chain_status: string }>(
        'SELECT id, chain_status FROM governance_events WHERE id = ANY($1)',
        [ids],
      );
      await db.query('COMMIT');
      return Object.fromEntries(rows.rows.map((r) => [r.id, r.chain_status]));
    });
  const summary = async (assetId: string) => {
    const r = await call(gw, 'GET', '/v1/assets?limit=1000', { token: key });
    return r.body.assets.find((a: { assetId: string }) => a.assetId === assetId);
  };

  it('stores a batch that continues chains: links in order, counts, latest type, new head', async () => {
    const assetId = `run-${newEventId().slice(4, 12)}`;
    const a = makeEvent(org.slug, { assetId });
    expect((await push(a)).status).toBe(201);
    const at = new Date(Date.now() + 60_000).toISOString();
    const b = makeEvent(org.slug, { assetId, previousHash: a.hash, producedAt: at });
    // same producedAt as b: the later event of the request gives the latest type
    const c = makeEvent(org.slug, {
      assetId,
      previousHash: b.hash,
      producedAt: at,
      type: 'aigrc.scan.finding',
    });
    const elsewhere = makeEvent(org.slug, { assetId: `${assetId}-other` });
    const r = await batch([b, c, elsewhere]);
    expect(r.body).toMatchObject({ accepted: 3, rejected: 0, duplicate: 0 });
    expect(r.body.results.every((x: { warnings?: unknown }) => x.warnings === undefined)).toBe(true);
    expect(await chainStatus([a.id, b.id, c.id, elsewhere.id])).toEqual({
      [a.id]: 'none',
      [b.id]: 'linked',
      [c.id]: 'linked',
      [elsewhere.id]: 'none',
    });
    expect(await summary(assetId)).toMatchObject({
      eventCount: 3,
      lastEventAt: at,
      latestType: 'aigrc.scan.finding',
    });
    // the head is now c: continuing from it links, continuing from b breaks
    const d = makeEvent(org.slug, { assetId, previousHash: c.hash });
    expect((await push(d)).body.warnings).toBeUndefined();
    const fork = makeEvent(org.slug, { assetId, previousHash: b.hash });
    expect((await push(fork)).body.warnings[0]).toMatchObject({ code: 'CHAIN_BROKEN' });
    expect((await summary(assetId)).eventCount).toBe(6); // a b c d fork + the break record
  });

  it('answers the same event pushed 8 times at once with one 201 and seven duplicates', async () => {
    const e = makeEvent(org.slug);
    const replies = await Promise.all(Array.from({ length: 8 }, () => push(e)));
    expect(replies.map((x) => x.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(replies.map((x) => x.body.receivedAt)).size).toBe(1);
    expect(replies.filter((x) => x.body.duplicate === true)).toHaveLength(7);
  });

  it('counts every one of 20 events pushed at once on one asset', async () => {
    const assetId = `burst-${newEventId().slice(4, 12)}`;
    const events = Array.from({ length: 20 }, () => makeEvent(org.slug, { assetId }));
    const replies = await Promise.all(events.map((e) => push(e)));
    expect(replies.every((x) => x.status === 201)).toBe(true);
    expect((await summary(assetId)).eventCount).toBe(20);
  });

  it('settles one id sent with two different contents at once (under two assets): one 201, one 409', async () => {
    for (let round = 0; round < 5; round++) {
      const first = makeEvent(org.slug, { assetId: `race-a-${round}` });
      const second = rehash({ ...first, assetId: `race-b-${round}` });
      const replies = await Promise.all([push(first), push(second)]);
      expect(replies.map((x) => x.status).sort()).toEqual([201, 409]);
    }
  });

  it('checks a new event through the id index, whatever plans the connection has cached', async () => {
    // A connection that always reuses generic plans (as PL/pgSQL does after a few calls)
    // appends events of a fresh organization, then 2000 more, then one: the check of that
    // last one must read the stored ids through the unique (organization, id) index, not
    // every row of the organization.
    const fresh = await createOrg(dep, `plans-${newEventId().slice(4, 12)}`);
    const args = (events: TestEvent[]) => [
      fresh.id,
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => e.category),
      events.map((e) => e.criticality),
      events.map((e) => e.assetId),
      events.map((e) => e.producedAt),
      events.map((e) => e.hash),
      events.map(() => null),
      events.map((e) => JSON.stringify(e)),
    ];
    const append = 'SELECT id FROM aigos_append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)';
    const rowsRead = await withDb(dep, async (db) => {
      await db.query('SET plan_cache_mode = force_generic_plan');
      for (let i = 0; i < 6; i++) await db.query(append, args([makeEvent(fresh.slug)]));
      const bulk = Array.from({ length: 2000 }, (_, i) =>
        makeEvent(fresh.slug, { assetId: `bulk-${i % 20}` }),
      );
      expect((await db.query(append, args(bulk))).rowCount).toBe(2000);
      await db.query('BEGIN');
      expect((await db.query(append, args([makeEvent(fresh.slug)]))).rowCount).toBe(1);
      const read = await db.query<{ n: string }>(
        `SELECT coalesce(sum(idx_tup_fetch), 0) + coalesce(sum(seq_tup_read), 0) AS n
           FROM pg_stat_xact_user_tables WHERE relname = 'governance_events'`,
      );
      await db.query('COMMIT');
      return Number(read.rows[0]!.n);
    });
    expect(rowsRead).toBeLessThan(50);
  });

  it('links exactly one of 10 concurrent events that continue the same head; the rest are breaks', async () => {
    const assetId = `fork-${newEventId().slice(4, 12)}`;
    const root = makeEvent(org.slug, { assetId });
    await push(root);
    const forks = Array.from({ length: 10 }, () => makeEvent(org.slug, { assetId, previousHash: root.hash }));
    const replies = await Promise.all(forks.map((e) => push(e)));
    expect(replies.every((x) => x.status === 201)).toBe(true);
    expect(replies.filter((x) => x.body.warnings === undefined)).toHaveLength(1);
    expect(replies.filter((x) => x.body.warnings?.[0]?.code === 'CHAIN_BROKEN')).toHaveLength(9);
  });
});

describe('ingest: the two paths agree, and hostile ids do not block a break record', () => {
  it('stores the same summary whichever path a batch takes (producedAt in microseconds)', async () => {
    const run = newEventId().slice(4, 12);
    const pair = (assetId: string) => [
      makeEvent(org.slug, { assetId, type: 'aigrc.scan.started', producedAt: '2025-03-01T00:00:00.0002Z' }),
      makeEvent(org.slug, { assetId, type: 'aigrc.scan.finding', producedAt: '2025-03-01T00:00:00.0001Z' }),
    ];
    // all new: one statement
    expect((await batch(pair(`us-fast-${run}`))).body.accepted).toBe(2);
    // with a duplicate in the request: the general path
    const dup = makeEvent(org.slug);
    await push(dup);
    const general = await batch([...pair(`us-general-${run}`), dup]);
    expect(general.body).toMatchObject({ accepted: 2, duplicate: 1 });
    const assets = (await call(gw, 'GET', '/v1/assets?limit=1000', { token: key })).body.assets as {
      assetId: string;
      latestType: string;
    }[];
    for (const path of ['fast', 'general'])
      expect(assets.find((a) => a.assetId === `us-${path}-${run}`)).toMatchObject({
        latestType: 'aigrc.scan.started',
      });
  });

  it('records a break even when a client already stored an event under the id the record would take', async () => {
    const recordIdOf = (e: TestEvent) =>
      `evt_${createHash('sha256').update(`aigos:chain-broken:${org.slug}:${e.id}`).digest('hex').slice(0, 32)}`;
    const assetId = `squat-${newEventId().slice(4, 12)}`;
    const broken = makeEvent(org.slug, { assetId, previousHash: `sha256:${'1'.repeat(64)}` });
    const squatter = makeEvent(org.slug, { id: recordIdOf(broken), assetId: `${assetId}-other` });
    expect((await push(squatter)).status).toBe(201);
    const r = await push(broken);
    expect(r.status).toBe(201);
    expect(r.body.warnings[0]).toMatchObject({ code: 'CHAIN_BROKEN' });
    expect(r.body.warnings[0].action).not.toContain(squatter.id);
    // the same in one batch: the squatting event comes after the broken one
    const broken2 = makeEvent(org.slug, { assetId, previousHash: `sha256:${'2'.repeat(64)}` });
    const squatter2 = makeEvent(org.slug, { id: recordIdOf(broken2), assetId: `${assetId}-other` });
    const b = await batch([broken2, squatter2]);
    expect(b.status).toBe(200);
    expect(b.body.results.map((x: { status: string }) => x.status)).toEqual(['created', 'created']);
    expect(b.body.results[0].warnings[0]).toMatchObject({ code: 'CHAIN_BROKEN' });
    const records = await call(gw, 'GET', `/v1/events?assetId=${assetId}&type=aigrc.audit.chain.broken`, {
      token: key,
    });
    expect(records.body.total).toBe(2);
  });

  it('answers two batches with the same ids in opposite orders: one stores them, the other gets conflicts', async () => {
    for (let round = 0; round < 8; round++) {
      const first = Array.from({ length: 50 }, (_, i) =>
        makeEvent(org.slug, { assetId: `order-a-${round}-${i}` }),
      );
      const second = first.map((e, i) => rehash({ ...e, assetId: `order-b-${round}-${i}` })).reverse();
      const [a, b] = await Promise.all([batch(first), batch(second)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const counts = [a, b].map((x) => [x.body.accepted, x.body.rejected]).sort();
      expect(counts).toEqual([
        [0, 50],
        [50, 0],
      ]);
    }
  });
});

describe('integrity checkpoints', () => {
  const merkle = (hashes: string[]): string => {
    if (hashes.length === 0) return `sha256:${createHash('sha256').update('').digest('hex')}`;
    let level = hashes.map((h) => h.slice(7));
    while (level.length > 1) {
      const next: string[] = [];
      for (let i = 0; i < level.length; i += 2)
        next.push(
          createHash('sha256')
            .update(level[i]! + (level[i + 1] ?? level[i]!))
            .digest('hex'),
        );
      level = next;
    }
    return `sha256:${level[0]}`;
  };

  it('computes a Merkle root on demand over the events received since the last checkpoint', async () => {
    await call(gw, 'POST', '/v1/integrity/checkpoints', { token: key }); // settle the backlog
    const events = [makeEvent(org.slug), makeEvent(org.slug), makeEvent(org.slug)];
    await batch(events);
    const made = await call(gw, 'POST', '/v1/integrity/checkpoints', { token: key });
    expect(made.status).toBe(201);
    const cp = made.body.checkpoints[0];
    expect(cp).toMatchObject({
      eventCount: 3,
      firstEventId: events[0]!.id,
      lastEventId: events[2]!.id,
      trigger: 'on-demand',
    });
    expect(cp.merkleRoot).toBe(merkle(events.map((e) => e.hash)));
    const leaves = await call(gw, 'GET', `/v1/integrity/checkpoints/${cp.id}`, { token: key });
    expect(leaves.body.leaves.map((l: { id: string }) => l.id)).toEqual(events.map((e) => e.id));
    const list = await call(gw, 'GET', '/v1/integrity/checkpoints', { token: key });
    expect(list.status).toBe(200);
    expect(list.body.checkpoints[0]).toMatchObject({ id: cp.id, merkleRoot: cp.merkleRoot });
    expect(list.body.checkpoints[0].previousRoot).toBe(list.body.checkpoints[1].merkleRoot);
    // nothing new: no checkpoint
    expect((await call(gw, 'POST', '/v1/integrity/checkpoints', { token: key })).body.created).toBe(0);
    // other organizations see only theirs
    const theirs = await call(gw, 'GET', '/v1/integrity/checkpoints', { token: otherKey });
    expect(theirs.body.checkpoints.every((c: { orgId: string }) => c.orgId === other.id)).toBe(true);
  });
});

describe('append-only storage', () => {
  it('refuses UPDATE, DELETE and TRUNCATE on the events table for the application role', async () => {
    const e = makeEvent(org.slug);
    await push(e);
    await withDb(dep, async (db) => {
      for (const sql of [
        `UPDATE governance_events SET type = 'aigrc.scan.started' WHERE id = '${e.id}'`,
        `DELETE FROM governance_events WHERE id = '${e.id}'`,
        'TRUNCATE governance_events',
        'UPDATE integrity_checkpoints SET merkle_root = merkle_root',
      ]) {
        await db.query('BEGIN');
        await db.query(`SELECT set_config('app.org_id', $1, true)`, [org.id]);
        await expect(db.query(sql)).rejects.toMatchObject({ code: '42501' });
        await db.query('ROLLBACK');
      }
    });
    const still = await call(gw, 'GET', `/v1/events/${e.id}`, { token: key });
    expect(still.body.type).toBe(e.type);
  });
});

describe('rate limits (an api process with small limits)', () => {
  let api: ExtraApi;
  beforeAll(async () => {
    api = await startExtraApi(dep, {
      RATE_LIMIT_EVENTS_PUSH: '3',
      RATE_LIMIT_EVENTS_BATCH: '2',
      RATE_LIMIT_EVENTS_READ: '50',
      RATE_LIMIT_WINDOW_MS: '60000',
      INTEGRITY_CHECKPOINT_INTERVAL_MS: '1000',
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('counts per key and route, sends X-RateLimit-* headers, answers 429 with Retry-After', async () => {
    const k = await createApiKey(dep, org);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(api.url, 'POST', '/v1/events', { token: k, body: makeEvent(org.slug) });
      expect(r.status).toBe(201);
      expect(r.headers['x-ratelimit-limit']).toBe('3');
      seen.push(String(r.headers['x-ratelimit-remaining']));
      expect(Number(r.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    }
    expect(seen).toEqual(['2', '1', '0']);
    const limited = await call(api.url, 'POST', '/v1/events', { token: k, body: makeEvent(org.slug) });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // critical events are never limited on the single-event route
    const critical = await call(api.url, 'POST', '/v1/events', {
      token: k,
      body: makeEvent(org.slug, { criticality: 'critical' }),
    });
    expect(critical.status).toBe(201);
    // another route has its own window; another key its own count
    expect(
      (await call(api.url, 'POST', '/v1/events/batch', { token: k, body: [makeEvent(org.slug)] })).status,
    ).toBe(200);
    const k2 = await createApiKey(dep, org);
    expect((await call(api.url, 'POST', '/v1/events', { token: k2, body: makeEvent(org.slug) })).status).toBe(
      201,
    );
    // the window lives in Redis: the deployment's own api process counts the same key
    const viaGateway = await call(gw, 'GET', '/v1/events?limit=1', { token: k });
    expect(viaGateway.headers['x-ratelimit-limit']).toBe('6000');
  });

  it('computes checkpoints periodically (INTEGRITY_CHECKPOINT_INTERVAL_MS)', async () => {
    const e = makeEvent(org.slug);
    await call(api.url, 'POST', '/v1/events', { token: key, body: e });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const list = await call(api.url, 'GET', '/v1/integrity/checkpoints?limit=5', { token: key });
      const periodic = list.body.checkpoints.find(
        (c: { trigger: string; lastEventId: string }) => c.trigger === 'periodic',
      );
      if (periodic) break;
      if (Date.now() > deadline) throw new Error('no periodic checkpoint within 10 s');
      await new Promise((r) => setTimeout(r, 300));
    }
  });
});
