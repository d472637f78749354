// Suite api-contract: the rules of contracts.md §3 (governance events API, compatible
// with the upstream AIGRC clients), judged over HTTP on the public URL. A route that is
// not served fails its rule; nothing is skipped for a missing feature.
import { createHash, randomBytes } from 'node:crypto';
import { header, type HttpResult } from '../../harness/src/drivers/http.js';
import type { CheckInput, Scenario, ScenarioContext, Suite } from '../../harness/src/runner/scenario.js';
import { adminHeaders } from '../cp-02/accounts.js';

const CONTRACT = 'contracts.md §3';
const fix = (rule: string) => `The events API must follow ${CONTRACT}: ${rule}.`;

/** Canonical JSON: keys sorted at every level, compact, UTF-8 (contracts §3 "Hash"). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function eventHash(event: Record<string, unknown>): string {
  const { hash: _h, signature: _s, receivedAt: _r, ...rest } = event;
  return `sha256:${createHash('sha256').update(canonical(rest), 'utf8').digest('hex')}`;
}

export type GovernanceEvent = Record<string, unknown> & {
  id: string;
  hash: string;
  orgId: string;
  assetId: string;
};

/** A valid event as the upstream client sends it (schemaVersion aigrc-events@0.1.0). */
export function makeEvent(orgId: string, over: Record<string, unknown> = {}): GovernanceEvent {
  const now = new Date().toISOString();
  const event: Record<string, unknown> = {
    id: `evt_${randomBytes(16).toString('hex')}`,
    specVersion: '1.0',
    schemaVersion: 'aigrc-events@0.1.0',
    type: 'aigrc.asset.created',
    category: 'asset',
    criticality: 'normal',
    source: {
      tool: 'cli',
      version: '0.1.0',
      orgId,
      instanceId: 'aigos-harness',
      identity: { type: 'api-key', subject: 'aigos-harness' },
      environment: 'ci',
    },
    orgId,
    assetId: `aigos-harness-${randomBytes(4).toString('hex')}`,
    producedAt: now,
    goldenThread: {
      type: 'orphan',
      reason: 'discovery',
      declaredBy: 'aigos-harness',
      declaredAt: now,
      remediationDeadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      remediationNote: 'created by the acceptance harness',
    },
    data: { name: 'harness probe asset' },
    ...over,
  };
  event.hash = eventHash(event);
  return event as GovernanceEvent;
}

interface Envelope {
  error?: { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown };
}

function envelopeCheck(
  ctx: ScenarioContext,
  id: string,
  title: string,
  res: HttpResult,
  status: number | number[],
): void {
  const statuses = Array.isArray(status) ? status : [status];
  const e = res.json<Envelope>()?.error;
  const ok =
    statuses.includes(res.status) &&
    typeof e?.code === 'string' &&
    typeof e?.message === 'string' &&
    typeof e?.requestId === 'string' &&
    e.requestId.length > 0;
  ctx.check({
    id,
    title,
    pass: ok,
    expected: { status: statuses.join(' or '), body: '{ error: { code, message, requestId } }' },
    actual: { status: res.error ?? res.status, body: res.text.slice(0, 300) },
    remediation: fix('errors use one envelope { "error": { "code", "message", "details"?, "requestId" } }'),
    evidence: [res],
  });
}

const publicHealth: Scenario = {
  id: 'api-contract.public-health',
  title: 'GET /v1/health is public (and /api/v1/health)',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    for (const path of ['/v1/health', '/api/v1/health']) {
      const res = await ctx.http({ url: path, headers: { Accept: 'application/json' } });
      ctx.check({
        id: path.replace(/\W+/g, '-').replace(/^-|-$/g, ''),
        title: `GET ${path} answers 200 JSON without credentials`,
        pass: res.status === 200 && res.json() !== undefined,
        expected: 200,
        actual: res.error ?? res.status,
        remediation: fix('GET /v1/health is public, also under /api/v1'),
        evidence: [res],
      });
    }
  },
};

const errorEnvelope: Scenario = {
  id: 'api-contract.error-envelope',
  title: 'Errors use one envelope with the request id',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const rid = `aigos-harness-${randomBytes(6).toString('hex')}`;
    const missing = await ctx.http({
      url: '/api/v1/aigos-harness-no-such-route',
      headers: { Accept: 'application/json', 'X-Request-Id': rid },
    });
    envelopeCheck(
      ctx,
      'unknown-route',
      'an unknown route answers 404 (or 401 before authentication) in the envelope',
      missing,
      [404, 401],
    );
    const e = missing.json<Envelope>()?.error;
    ctx.check({
      id: 'request-id',
      title: 'the request id sent by the client is echoed (header and envelope)',
      pass: header(missing.headers, 'x-request-id') === rid && e?.requestId === rid,
      expected: rid,
      actual: { header: header(missing.headers, 'x-request-id') ?? null, envelope: e?.requestId ?? null },
      remediation:
        'Keep an incoming X-Request-Id through the proxy and gateway, echo it, and put it in every error envelope.',
      evidence: [missing],
    });
    const v1 = await ctx.http({
      url: '/v1/aigos-harness-no-such-route',
      headers: { Accept: 'application/json' },
    });
    envelopeCheck(
      ctx,
      'unknown-route-v1',
      "the same under the upstream clients' /v1 base path",
      v1,
      [404, 401],
    );
    const broken = await ctx.http({
      method: 'POST',
      url: '/v1/events',
      body: '{"id": ',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    });
    envelopeCheck(
      ctx,
      'bad-json',
      'a malformed JSON body answers 400 (or 401 before authentication) in the envelope',
      broken,
      [400, 401, 404],
    );
  },
};

/** Setup shared by the events scenarios: served, credentials, the caller's org id. */
async function eventsSetup(ctx: ScenarioContext): Promise<{ auth: Record<string, string>; orgId: string }> {
  const auth = await adminHeaders(ctx);
  const me = await ctx.http({ url: '/api/v1/me', headers: { Accept: 'application/json', ...auth } });
  const body = me.json<{ organization?: { id?: string }; org?: { id?: string }; orgId?: string }>();
  const orgId = body?.organization?.id ?? body?.org?.id ?? body?.orgId;
  if (!orgId)
    throw new Error(
      `GET /api/v1/me did not name the caller's organization id (${me.error ?? me.status}); the events rules need it (orgId must equal the token's org)`,
    );
  return { auth: { Accept: 'application/json', ...auth }, orgId };
}

function push(
  ctx: ScenarioContext,
  auth: Record<string, string>,
  event: unknown,
  label: string,
): Promise<HttpResult> {
  return ctx.http({ method: 'POST', url: '/v1/events', json: event, headers: auth, label });
}

function statusCheck(
  ctx: ScenarioContext,
  c: Omit<CheckInput, 'pass'> & { res: HttpResult; want: number[]; rule: string },
): void {
  ctx.check({
    id: c.id,
    title: c.title,
    pass: c.want.includes(c.res.status),
    expected: c.want.join(' or '),
    actual: `${c.res.error ?? c.res.status} ${c.res.text.slice(0, 200)}`,
    remediation: fix(c.rule),
    evidence: [c.res],
  });
}

const authRequired: Scenario = {
  id: 'api-contract.auth-required',
  title: 'Event routes require a bearer token',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const none = await ctx.http({ url: '/v1/events', headers: { Accept: 'application/json' } });
    envelopeCheck(ctx, 'no-token', 'GET /v1/events without credentials answers 401', none, 401);
    const bad = await ctx.http({
      url: '/v1/events',
      headers: {
        Accept: 'application/json',
        Authorization: 'Bearer aigos_notarealkey0_000000000000000000000000000000000000000000',
      },
    });
    envelopeCheck(ctx, 'bad-token', 'an unknown API key answers 401', bad, 401);
  },
};

const pushIdempotency: Scenario = {
  id: 'api-contract.push-idempotency',
  title: 'POST /v1/events: 201 created, same id and hash 200, same id other hash 409',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const { auth, orgId } = await eventsSetup(ctx);
    const event = makeEvent(orgId);
    const first = await push(ctx, auth, event, 'push');
    statusCheck(ctx, {
      id: 'created',
      title: 'a new event is created (201)',
      res: first,
      want: [201],
      rule: 'POST /v1/events -> 201 created',
    });
    const body = first.json<{ status?: string; eventId?: string; receivedAt?: string }>();
    ctx.check({
      id: 'push-response',
      title: 'the push response has status accepted, eventId and receivedAt',
      pass: body?.status === 'accepted' && body.eventId === event.id && typeof body.receivedAt === 'string',
      expected: { status: 'accepted', eventId: event.id, receivedAt: 'ISO-8601' },
      actual: body ?? first.text.slice(0, 200),
      remediation: fix('push response { status, eventId, receivedAt, ... }'),
      evidence: [first],
    });
    const again = await push(ctx, auth, event, 'push again');
    statusCheck(ctx, {
      id: 'duplicate',
      title: 'the same id and hash again is a duplicate (200), not an error',
      res: again,
      want: [200],
      rule: 'same id and same hash -> 200',
    });
    const changed = makeEvent(orgId, { id: event.id, assetId: event.assetId, data: { name: 'changed' } });
    const conflict = await push(ctx, auth, changed, 'push conflicting');
    statusCheck(ctx, {
      id: 'conflict',
      title: 'the same id with another hash is refused (409)',
      res: conflict,
      want: [409],
      rule: 'same id with a different hash -> 409',
    });
  },
};

const hashVerified: Scenario = {
  id: 'api-contract.hash-verified',
  title: 'The server recomputes the canonical hash and rejects a mismatch; validation lists every error',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const { auth, orgId } = await eventsSetup(ctx);
    const wrong = { ...makeEvent(orgId), hash: `sha256:${'0'.repeat(64)}` };
    const res = await push(ctx, auth, wrong, 'push with a wrong hash');
    statusCheck(ctx, {
      id: 'wrong-hash',
      title: 'an event whose hash does not match is rejected',
      res,
      want: [400, 422],
      rule: 'the server recomputes the hash and rejects a mismatch',
    });
    const invalid = { ...makeEvent(orgId), id: 'not-an-event-id', criticality: 'urgent', data: {} };
    const many = await push(ctx, auth, invalid, 'push with several errors');
    const details = many.json<Envelope>()?.error?.details;
    ctx.check({
      id: 'all-errors',
      title: 'validation reports every error, not just the first',
      pass: (many.status === 400 || many.status === 422) && Array.isArray(details) && details.length >= 3,
      expected: '400/422 with details for id, criticality and data',
      actual: { status: many.status, details: Array.isArray(details) ? details.length : 'none' },
      remediation: fix('validation collects every error'),
      evidence: [many],
    });
    const now = new Date().toISOString();
    const threads: [string, Record<string, unknown>][] = [
      [
        'an orphan declaration whose remediationNote is shorter than 10 characters',
        {
          type: 'orphan',
          reason: 'discovery',
          declaredBy: 'aigos-harness',
          declaredAt: now,
          remediationDeadline: now,
          remediationNote: 'too short',
        },
      ],
      [
        'a linked reference with an unknown status',
        { type: 'linked', system: 'jira', ref: 'GOV-1', url: 'https://jira.example/GOV-1', status: 'maybe' },
      ],
    ];
    for (const [what, goldenThread] of threads) {
      const res = await push(ctx, auth, makeEvent(orgId, { goldenThread }), `push ${what}`);
      statusCheck(ctx, {
        id: `golden-thread-${goldenThread.type as string}`,
        title: `an event with ${what} is rejected`,
        res,
        want: [400, 422],
        rule: 'goldenThread is a linked reference (status active | completed | cancelled | unknown) or an orphan declaration (remediationNote of 10+ characters)',
      });
    }
    const other = await push(ctx, auth, makeEvent(`${orgId}-other`), 'push for another org');
    statusCheck(ctx, {
      id: 'org-mismatch',
      title: "an orgId other than the token's is refused (403)",
      res: other,
      want: [403],
      rule: "orgId must equal the token's org (403)",
    });
  },
};

const batchPartial: Scenario = {
  id: 'api-contract.batch-partial',
  title: 'POST /v1/events/batch accepts the valid events of a mixed batch (bare array and { events })',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const { auth, orgId } = await eventsSetup(ctx);
    const bad = { ...makeEvent(orgId), hash: `sha256:${'1'.repeat(64)}` };
    for (const [label, body] of [
      ['bare array', [makeEvent(orgId), bad]],
      [
        '{ events }',
        { events: [makeEvent(orgId), { ...bad, id: `evt_${randomBytes(16).toString('hex')}` }] },
      ],
    ] as const) {
      const res = await ctx.http({
        method: 'POST',
        url: '/v1/events/batch',
        json: body,
        headers: auth,
        label: `batch ${label}`,
      });
      const b = res.json<{ accepted?: number; rejected?: number; results?: { status?: string }[] }>();
      ctx.check({
        id: `partial-${label.replace(/\W+/g, '-').replace(/^-|-$/g, '')}`,
        title: `a batch (${label}) of one valid and one invalid event: 200, 1 accepted, 1 rejected`,
        pass: res.status === 200 && b?.accepted === 1 && b.rejected === 1 && b.results?.length === 2,
        expected: { status: 200, accepted: 1, rejected: 1, results: 2 },
        actual: {
          status: res.status,
          accepted: b?.accepted,
          rejected: b?.rejected,
          results: b?.results?.length,
        },
        remediation: fix('batch -> 200 with per-event results; valid events are accepted when others fail'),
        evidence: [res],
      });
    }
  },
};

const listing: Scenario = {
  id: 'api-contract.listing',
  title: 'Event and asset lists: filters and limit/offset pagination; events cannot be changed',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const { auth, orgId } = await eventsSetup(ctx);
    const a = makeEvent(orgId);
    const b = makeEvent(orgId, { assetId: a.assetId, type: 'aigrc.asset.updated', criticality: 'high' });
    await push(ctx, auth, a, 'push a');
    await push(ctx, auth, b, 'push b');
    const list = await ctx.http({
      url: `/v1/events?assetId=${encodeURIComponent(a.assetId)}&limit=1&offset=0`,
      headers: auth,
    });
    const l = list.json<{ events?: { id?: string }[]; total?: number; limit?: number; offset?: number }>();
    ctx.check({
      id: 'events-page',
      title: 'GET /v1/events?assetId&limit=1 answers { events, total, limit, offset }',
      pass:
        list.status === 200 && l?.events?.length === 1 && l.total === 2 && l.limit === 1 && l.offset === 0,
      expected: { events: 1, total: 2, limit: 1, offset: 0 },
      actual: {
        status: list.status,
        events: l?.events?.length,
        total: l?.total,
        limit: l?.limit,
        offset: l?.offset,
      },
      remediation: fix('event list { events, total, limit, offset }'),
      evidence: [list],
    });
    const filtered: [string, string, number][] = [
      ['type', 'aigrc.asset.updated', 1],
      ['criticality', 'high', 1],
      ['since', new Date(Date.now() - 3_600_000).toISOString(), 2],
    ];
    for (const [name, value, want] of filtered) {
      const res = await ctx.http({
        url: `/v1/events?assetId=${encodeURIComponent(a.assetId)}&${name}=${encodeURIComponent(value)}`,
        headers: auth,
        label: `GET /v1/events filtered by ${name}`,
      });
      const body = res.json<{ events?: unknown[]; total?: number }>();
      ctx.check({
        id: `filter-${name}`,
        title: `GET /v1/events filters by ${name}`,
        pass: res.status === 200 && body?.total === want && body.events?.length === want,
        expected: { total: want },
        actual: { status: res.error ?? res.status, total: body?.total, events: body?.events?.length },
        remediation: fix('GET /v1/events filters: assetId, type, criticality, since, limit, offset'),
        evidence: [res],
      });
    }
    const assetEvents = await ctx.http({
      url: `/v1/assets/${encodeURIComponent(a.assetId)}/events`,
      headers: auth,
    });
    const ae = assetEvents.json<{ events?: { id?: string }[]; total?: number }>();
    ctx.check({
      id: 'asset-events',
      title: "GET /v1/assets/:assetId/events lists the asset's events",
      pass:
        assetEvents.status === 200 &&
        ae?.total === 2 &&
        [a.id, b.id].every((id) => ae.events?.some((e) => e.id === id)),
      expected: { total: 2, ids: [a.id, b.id] },
      actual: {
        status: assetEvents.error ?? assetEvents.status,
        total: ae?.total,
        events: ae?.events?.length,
      },
      remediation: fix('GET /v1/assets/:assetId/events'),
      evidence: [assetEvents],
    });
    const one = await ctx.http({ url: `/v1/events/${a.id}`, headers: auth });
    // receivedAt is the server's: an event claiming one is refused, or the claim is ignored
    const claimed = '2001-01-01T00:00:00.000Z';
    const c = makeEvent(orgId);
    const pushedC = await push(ctx, auth, { ...c, receivedAt: claimed }, 'push claiming a receivedAt');
    const storedC =
      pushedC.status === 201
        ? (
            await ctx.http({ url: `/v1/events/${c.id}`, headers: auth, label: 'the event that claimed it' })
          ).json<{
            receivedAt?: string;
          }>()?.receivedAt
        : undefined;
    ctx.check({
      id: 'received-at-server',
      title: 'receivedAt is set by the server only (a client-supplied value is refused or ignored)',
      pass:
        [400, 422].includes(pushedC.status) ||
        (pushedC.status === 201 && typeof storedC === 'string' && storedC !== claimed),
      expected: `refused (400), or stored with the time of receipt instead of ${claimed}`,
      actual: { push: pushedC.error ?? pushedC.status, stored: storedC ?? null },
      remediation: fix('receivedAt is set by the server only'),
      evidence: [pushedC],
    });
    ctx.check({
      id: 'event-by-id',
      title: 'GET /v1/events/:id returns the stored event with its hash',
      pass: one.status === 200 && one.json<{ hash?: string }>()?.hash === a.hash,
      expected: a.hash,
      actual: `${one.status} ${one.json<{ hash?: string }>()?.hash ?? ''}`,
      remediation: fix('GET /v1/events/:id'),
      evidence: [one],
    });
    const assets = await ctx.http({ url: '/v1/assets?limit=500', headers: auth });
    const as = assets.json<{ assets?: { assetId?: string; eventCount?: number }[]; total?: number }>();
    const mine = as?.assets?.find((x) => x.assetId === a.assetId);
    ctx.check({
      id: 'assets',
      title: 'GET /v1/assets lists the asset with its event count',
      pass: assets.status === 200 && mine?.eventCount === 2 && typeof as?.total === 'number',
      expected: { assetId: a.assetId, eventCount: 2 },
      actual: { status: assets.status, asset: mine ?? null },
      remediation: fix(
        'asset list { assets: [ { assetId, lastEventAt, eventCount, latestType } ], total, limit, offset }',
      ),
      evidence: [assets],
    });
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const res = await ctx.http({
        method,
        url: `/v1/events/${a.id}`,
        json: method === 'DELETE' ? undefined : { data: { x: 1 } },
        headers: auth,
      });
      statusCheck(ctx, {
        id: `append-only-${method.toLowerCase()}`,
        title: `${method} /v1/events/:id is not allowed`,
        res,
        want: [404, 405],
        rule: 'stored events are append-only: no route updates or deletes them',
      });
    }
    const checkpoints = await ctx.http({ url: '/v1/integrity/checkpoints', headers: auth });
    statusCheck(ctx, {
      id: 'checkpoints',
      title: 'GET /v1/integrity/checkpoints answers',
      res: checkpoints,
      want: [200],
      rule: 'GET /v1/integrity/checkpoints (periodic Merkle roots)',
    });
  },
};

const rateLimitHeaders: Scenario = {
  id: 'api-contract.rate-limit-headers',
  title: 'Event routes send X-RateLimit-Limit, -Remaining and -Reset',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const { auth } = await eventsSetup(ctx);
    const res = await ctx.http({ url: '/v1/events?limit=1', headers: auth });
    const missing = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].filter(
      (h) => header(res.headers, h) === undefined,
    );
    ctx.check({
      id: 'headers',
      title: 'rate-limit headers are present',
      pass: res.status === 200 && missing.length === 0,
      expected: 'X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset',
      actual: missing.length ? `missing ${missing.join(', ')}` : 'present',
      remediation: fix('sliding window per key and route with X-RateLimit-* headers and Retry-After on 429'),
      evidence: [res],
    });
  },
};

const batchLimit: Scenario = {
  id: 'api-contract.batch-limit',
  title: 'POST /v1/events/batch takes at most 1000 events',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const { auth, orgId } = await eventsSetup(ctx);
    const events = Array.from({ length: 1001 }, () => makeEvent(orgId));
    const res = await ctx.http({
      method: 'POST',
      url: '/v1/events/batch',
      json: events,
      headers: auth,
      label: 'batch of 1001 events',
      timeoutMs: 20_000,
    });
    envelopeCheck(
      ctx,
      'over-limit',
      'a batch of 1001 events is refused as a whole (4xx in the envelope)',
      res,
      [400, 413, 422],
    );
    const listed = await ctx.http({
      url: `/v1/events/${events[0]!.id}`,
      headers: auth,
      label: 'the first event of the refused batch',
    });
    statusCheck(ctx, {
      id: 'none-stored',
      title: 'none of the refused batch was stored',
      res: listed,
      want: [404],
      rule: 'POST /v1/events/batch (up to 1000)',
    });
  },
};

const scopes: Scenario = {
  id: 'api-contract.scopes',
  title:
    'API key scopes events:write, events:read and assets:read are enforced; critical events are not rate limited',
  dependsOn: ['cp-02.health'],
  timeoutMs: 30_000,
  async run(ctx) {
    const { auth, orgId } = await eventsSetup(ctx);
    const made: { id: string; key: string }[] = [];
    const key = async (scope: string): Promise<Record<string, string> | undefined> => {
      const res = await ctx.http({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: auth,
        json: { name: `aigos-harness ${scope}`, role: 'editor', scopes: [scope], expiresInDays: 1 },
        label: `create an ${scope} key`,
      });
      const body = res.json<{ id?: string; key?: string }>();
      ctx.check({
        id: `key-${scope.replace(':', '-')}`,
        title: `an API key with only ${scope} can be created (POST /api/v1/api-keys)`,
        pass: res.status === 201 && Boolean(body?.key),
        expected: 201,
        actual: res.error ?? res.status,
        remediation: fix('API keys carry scopes events:write, events:read, assets:read'),
        evidence: [res],
      });
      if (!body?.key || !body.id) return undefined;
      made.push({ id: body.id, key: body.key });
      return { Accept: 'application/json', Authorization: `Bearer ${body.key}` };
    };
    try {
      const writer = await key('events:write');
      const reader = await key('events:read');
      const assets = await key('assets:read');
      const rows: [Record<string, string> | undefined, string, string, string, unknown, number[]][] = [
        [writer, 'events:write', 'POST', '/v1/events', makeEvent(orgId), [201]],
        [writer, 'events:write', 'GET', '/v1/events?limit=1', undefined, [403]],
        [reader, 'events:read', 'GET', '/v1/events?limit=1', undefined, [200]],
        [reader, 'events:read', 'POST', '/v1/events', makeEvent(orgId), [403]],
        [assets, 'assets:read', 'GET', '/v1/assets?limit=1', undefined, [200]],
        [assets, 'assets:read', 'GET', '/v1/events?limit=1', undefined, [403]],
      ];
      for (const [headers, scope, method, url, json, want] of rows) {
        if (!headers) continue;
        const res = await ctx.http({ method, url, headers, json, label: `${scope} key: ${method} ${url}` });
        statusCheck(ctx, {
          id: `${scope.replace(':', '-')}-${method.toLowerCase()}-${url.replace(/\?.*$/, '').replace(/\W+/g, '-').replace(/^-|-$/g, '')}`,
          title: `a key with only ${scope}: ${method} ${url.replace(/\?.*$/, '')} answers ${want.join('/')}`,
          res,
          want,
          rule: 'API keys carry scopes events:write, events:read, assets:read; a route needs its scope (403 otherwise)',
        });
      }
      if (writer) {
        // a fresh key's window: a normal push is counted, a critical one is not
        const remaining = (r: HttpResult) => Number(header(r.headers, 'x-ratelimit-remaining') ?? NaN);
        const n1 = await push(ctx, writer, makeEvent(orgId), 'normal push (counted)');
        const crit = await push(ctx, writer, makeEvent(orgId, { criticality: 'critical' }), 'critical push');
        const n2 = await push(ctx, writer, makeEvent(orgId), 'normal push (counted)');
        ctx.check({
          id: 'critical-not-limited',
          title: 'a critical event on POST /v1/events is not counted against the rate limit',
          pass: crit.status === 201 && remaining(n2) === remaining(n1) - 1,
          expected: 'X-RateLimit-Remaining drops by one across normal, critical, normal',
          actual: {
            critical: crit.status,
            remainingBefore: remaining(n1),
            remainingAfter: remaining(n2),
          },
          remediation: fix(
            'events with criticality "critical" are never rate limited on the single-event route',
          ),
          evidence: [n1, crit, n2],
        });
      }
    } finally {
      for (const k of made)
        await ctx.http({ method: 'DELETE', url: `/api/v1/api-keys/${k.id}`, headers: auth, label: 'revoke' });
    }
  },
};

const appendOnlyTable: Scenario = {
  id: 'api-contract.append-only-table',
  title: "The database refuses UPDATE and DELETE on stored events to the application's role",
  dependsOn: ['cp-02.health'],
  needs: ['database'],
  async run(ctx) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      connectionString: ctx.target.endpoints.database.url,
      connectionTimeoutMillis: 5_000,
    });
    await client.connect();
    const log: string[] = [];
    try {
      for (const [op, sql] of [
        ['UPDATE', `UPDATE governance_events SET criticality = 'normal' WHERE false`],
        ['DELETE', 'DELETE FROM governance_events WHERE false'],
      ] as const) {
        let outcome: string;
        let refused = false;
        await client.query('BEGIN');
        try {
          await client.query(sql);
          outcome = 'succeeded (rolled back by the harness)';
        } catch (err) {
          const e = err as Error & { code?: string };
          refused = true;
          outcome = `refused: ${e.code ?? ''} ${e.message}`.trim();
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
        }
        log.push(`${sql}\n  -> ${outcome}`);
        ctx.check({
          id: `${op.toLowerCase()}-refused`,
          title: `${op} on the stored events is refused by the database`,
          pass: refused && /42501|permission denied|append-only|not allowed/i.test(outcome),
          expected: 'refused (42501)',
          actual: outcome,
          remediation: fix('stored events are append-only: the database refuses UPDATE/DELETE on that table'),
        });
      }
    } finally {
      await client.end().catch(() => undefined);
      await ctx.evidence('statements', log.join('\n') + '\n', 'text');
    }
  },
};

export const suite: Suite = {
  id: 'api-contract',
  title: 'Governance events API contract (contracts.md §3)',
  scenarios: [
    publicHealth,
    errorEnvelope,
    authRequired,
    pushIdempotency,
    hashVerified,
    batchPartial,
    batchLimit,
    listing,
    scopes,
    rateLimitHeaders,
    appendOnlyTable,
  ],
};
