// /graphql against a real deployment (through the gateway, NODE_ENV=production) and an
// extra api process with development settings and small limits: the dashboard's views,
// the mutations that mirror the REST actions with the same authorization, error codes
// without stack traces, depth and cost limits, introspection off in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDeployment } from '../support/harness.js';
import {
  call,
  createApiKey,
  createOrg,
  type ExtraApi,
  makeEvent,
  type Org,
  orgBySlug,
  rehash,
  startExtraApi,
} from '../events/support.js';

let dep: TestDeployment;
let gw: string;
let org: Org;
let other: Org;
let key: string;
let readOnly: string;

const ALL = [
  'events:write',
  'events:read',
  'assets:read',
  'org:read',
  'audit:read',
  'certificates:read',
  'compliance:read',
];

async function gql(query: string, variables: Record<string, unknown> = {}, token = key, base = gw) {
  const r = await call(base, 'POST', '/graphql', { token, body: { query, variables } });
  expect(r.text).not.toMatch(/stacktrace|\n\s+at /);
  return r;
}

beforeAll(async () => {
  dep = await TestDeployment.start();
  gw = dep.endpoints.gateway;
  org = await orgBySlug(dep, 'default');
  other = await createOrg(dep, 'gql-other');
  key = await createApiKey(dep, org, { scopes: ALL });
  readOnly = await createApiKey(dep, org, { scopes: ['events:read'], role: 'viewer' });
});

afterAll(async () => {
  await dep?.destroy();
});

describe('GraphQL views and mutations', () => {
  it('needs credentials (401 in the error envelope)', async () => {
    const r = await call(gw, 'POST', '/graphql', { body: { query: '{ viewer { orgId } }' } });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('pushes events with the REST semantics (created, duplicate, conflict, validation, other org)', async () => {
    const push = `mutation($e: JSON!) { pushEvent(event: $e) { status eventId receivedAt created warnings { code } } }`;
    const e = makeEvent(org.slug);
    const first = await gql(push, { e });
    expect(first.body.data.pushEvent).toMatchObject({
      status: 'accepted',
      eventId: e.id,
      created: true,
      warnings: [],
    });
    const again = await gql(push, { e });
    expect(again.body.data.pushEvent).toMatchObject({
      created: false,
      receivedAt: first.body.data.pushEvent.receivedAt,
    });
    const conflict = await gql(push, { e: rehash({ ...e, data: { changed: 1 } }) });
    expect(conflict.body.errors[0].extensions).toMatchObject({ code: 'EVT_ID_CONFLICT', status: 409 });
    const invalid = await gql(push, {
      e: { ...e, id: 'evt_x', hash: 'nope', receivedAt: '2020-01-01T00:00:00Z' },
    });
    expect(invalid.body.errors[0].extensions.code).toBe('EVT_VALIDATION_FAILED');
    expect(invalid.body.errors[0].extensions.details.map((d: { code: string }) => d.code)).toEqual(
      expect.arrayContaining(['EVT_ID_INVALID', 'EVT_HASH_FORMAT', 'EVT_RECEIVED_AT_REJECTED']),
    );
    const foreign = await gql(push, { e: makeEvent(other.slug) });
    expect(foreign.body.errors[0].extensions.code).toBe('EVT_ORG_MISMATCH');
    // the event pushed through GraphQL is what REST serves
    const rest = await call(gw, 'GET', `/v1/events/${e.id}`, { token: key });
    expect(rest.body.hash).toBe(e.hash);
  });

  it('pushes a batch with partial acceptance', async () => {
    const events = [
      makeEvent(org.slug),
      makeEvent(org.slug),
      { nope: true },
      makeEvent(org.slug),
      makeEvent(org.slug, { hash: `sha256:${'1'.repeat(64)}` }),
    ];
    const r = await gql(
      `mutation($events: [JSON!]!) { pushEvents(events: $events) { accepted rejected duplicate results { id index status error { code field } } } }`,
      { events },
    );
    expect(r.body.data.pushEvents).toMatchObject({ accepted: 3, rejected: 2, duplicate: 0 });
    expect(r.body.data.pushEvents.results[4].error.code).toBe('EVT_HASH_INVALID');
  });

  it('serves the dashboard views: organization, events, event assets, checkpoints, audit, assets, certificates', async () => {
    const assetId = `gql-asset-${Date.now()}`;
    const a = makeEvent(org.slug, { assetId });
    const b = makeEvent(org.slug, { assetId, previousHash: `sha256:${'a'.repeat(64)}` }); // a chain break -> audit entry
    await gql(`mutation($events: [JSON!]!) { pushEvents(events: $events) { accepted } }`, { events: [a, b] });
    await gql(`mutation { createIntegrityCheckpoint { merkleRoot } }`);
    const r = await gql(
      `query($assetId: String) {
        viewer { orgId orgSlug kind role scopes }
        organization { id slug name compliance { score assets } assetCount eventCount eventAssetCount lastEventAt
                       latestCheckpoint { merkleRoot eventCount } auditEntryCount activeCertificateCount }
        events(filter: { assetId: $assetId }, limit: 5) { total limit offset events { id type assetId receivedAt hash data source } }
        event(id: "${a.id}") { id hash raw }
        eventAssets(limit: 100) { total assets { assetId eventCount latestType } }
        integrityCheckpoints(limit: 1) { total checkpoints { merkleRoot trigger } }
        auditEntries(limit: 5, action: "event.chain.broken") { entries { seq action targetId actorType hash prevHash } }
        assets(limit: 5) { limit nextCursor items { id name compliance { score } } }
        certificates(limit: 5) { total certificates { serial status } }
      }`,
      { assetId },
    );
    expect(r.body.errors).toBeUndefined();
    const d = r.body.data;
    expect(d.viewer).toMatchObject({ orgId: org.id, orgSlug: 'default', kind: 'api-key', role: 'admin' });
    expect(d.organization).toMatchObject({
      id: org.id,
      slug: 'default',
      latestCheckpoint: { merkleRoot: expect.stringMatching(/^sha256:/) },
    });
    expect(d.organization.eventCount).toBeGreaterThanOrEqual(3);
    expect(d.organization.auditEntryCount).toBeGreaterThanOrEqual(1);
    expect(d.events.total).toBe(3); // a, b and the server's chain.broken record
    expect(d.events.events.map((e: { type: string }) => e.type)).toContain('aigrc.audit.chain.broken');
    expect(d.event).toMatchObject({
      id: a.id,
      hash: a.hash,
      raw: { id: a.id, receivedAt: expect.any(String) },
    });
    expect(d.eventAssets.assets).toContainEqual({ assetId, eventCount: 3, latestType: expect.any(String) });
    expect(d.integrityCheckpoints.checkpoints[0].trigger).toBe('on-demand');
    expect(d.auditEntries.entries[0]).toMatchObject({
      action: 'event.chain.broken',
      targetId: b.id,
      actorType: 'api-key',
    });
    expect(Array.isArray(d.assets.items)).toBe(true);
    expect(d.certificates.total).toBeGreaterThanOrEqual(0);
  });

  it('authorizes like REST: scopes and roles give FORBIDDEN with a code', async () => {
    const push = await gql(
      `mutation($e: JSON!) { pushEvent(event: $e) { eventId } }`,
      { e: makeEvent(org.slug) },
      readOnly,
    );
    expect(push.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    const orgView = await gql(
      `{ organization { id } auditEntries { entries { seq } } events(limit: 1) { total } }`,
      {},
      readOnly,
    );
    const codes = orgView.body.errors.map((e: { extensions: { code: string }; path: string[] }) => [
      e.path[0],
      e.extensions.code,
    ]);
    expect(codes).toEqual(
      expect.arrayContaining([
        ['organization', 'FORBIDDEN'],
        ['auditEntries', 'FORBIDDEN'],
      ]),
    );
    expect(orgView.body.data.events.total).toBeGreaterThanOrEqual(0);
  });

  it('turns introspection and the landing page off in production', async () => {
    const r = await gql('{ __schema { types { name } } }');
    expect(r.status).toBe(400);
    expect(r.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const page = await call(gw, 'GET', '/graphql', { token: key, headers: { accept: 'text/html' } });
    expect(page.text).not.toMatch(/<html/i);
  });

  it('limits cost: many items times many fields is refused, the same shape with small limits passes', async () => {
    const heavy = await gql(
      `{ assets(limit: 200) { items { id events(limit: 100) { events { id hash data } } } } }`,
    );
    expect(heavy.status).toBe(400);
    expect(heavy.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', maxCost: 5000 });
    const viaVariable = await gql(
      `query($n: Int) { events(limit: $n) { events { id hash data source goldenThread type } } }`,
      { n: 1000 },
    );
    expect(viaVariable.body.errors[0].extensions.code).toBe('QUERY_TOO_COSTLY');
    const light = await gql(`query($n: Int) { events(limit: $n) { events { id hash } } }`, { n: 50 });
    expect(light.body.errors).toBeUndefined();
  });
});

describe('GraphQL in development with small limits (an extra api process)', () => {
  let api: ExtraApi;
  beforeAll(async () => {
    api = await startExtraApi(dep, {
      NODE_ENV: 'development',
      GRAPHQL_MAX_DEPTH: '3',
      RATE_LIMIT_EVENTS_PUSH: '2',
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('allows introspection outside production', async () => {
    const r = await gql('{ __schema { queryType { name } } }', {}, key, api.url);
    expect(r.body.data.__schema.queryType.name).toBe('Query');
  });

  it('limits depth (fragments followed)', async () => {
    const deep = await gql(
      `{ assets { ...A } } fragment A on AssetPage { items { events { events { id } } } }`,
      {},
      key,
      api.url,
    );
    expect(deep.status).toBe(400);
    expect(deep.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', maxDepth: 3 });
    const ok = await gql(`{ events { events { id } } }`, {}, key, api.url);
    expect(ok.body.errors).toBeUndefined();
  });

  it('counts GraphQL pushes in the REST rate-limit window of the key', async () => {
    const k = await createApiKey(dep, org, { scopes: ALL });
    for (let i = 0; i < 2; i++)
      expect(
        (await call(api.url, 'POST', '/v1/events', { token: k, body: makeEvent(org.slug) })).status,
      ).toBe(201);
    const r = await gql(
      `mutation($e: JSON!) { pushEvent(event: $e) { eventId } }`,
      { e: makeEvent(org.slug) },
      k,
      api.url,
    );
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    const critical = await gql(
      `mutation($e: JSON!) { pushEvent(event: $e) { created } }`,
      { e: makeEvent(org.slug, { criticality: 'critical' }) },
      k,
      api.url,
    );
    expect(critical.body.data.pushEvent.created).toBe(true);
  });
});
