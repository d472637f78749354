// The real-time feed at /ws across replicas: two extra api processes next to the
// deployment's own (behind the gateway) share one Redis; a change pushed through any of
// them reaches subscribers on all of them within 250 ms. Also: authentication at the
// upgrade, scopes per channel, organization isolation, the publish API other modules
// use (common/realtime.ts), heartbeats, and dropping a slow consumer.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { publishOrgEvent } from '../../reference/src/common/realtime.js';
import { TestDeployment } from '../support/harness.js';
import {
  call,
  createApiKey,
  createOrg,
  type ExtraApi,
  makeEvent,
  type Org,
  orgBySlug,
  startExtraApi,
} from '../events/support.js';

let dep: TestDeployment;
let org: Org;
let other: Org;
let key: string;
let a: ExtraApi;
let b: ExtraApi;

interface Frame {
  type: string;
  channel?: string;
  orgId?: string;
  code?: string;
  channels?: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are read loosely in tests
  data?: any;
}

/** A connected client that records frames with their arrival time. */
class Client {
  readonly frames: { at: number; frame: Frame }[] = [];
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;
  pings = 0;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push({ at: performance.now(), frame: JSON.parse(data.toString()) as Frame });
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('ping', () => this.pings++);
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const c = new Client(ws);
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
      );
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  async next(pred: (f: Frame) => boolean, timeoutMs = 5_000): Promise<{ at: number; frame: Frame }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find((x) => pred(x.frame));
      if (hit) return hit;
      if (this.closed) throw new Error(`closed (${this.closed.code}) before the expected frame`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.map((f) => f.frame.type))}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async subscribe(channels: string[]): Promise<Frame> {
    const before = this.frames.length;
    this.send({ type: 'subscribe', channels });
    return (
      await this.next(
        (f) =>
          f.type === 'subscribed' && this.frames.indexOf(this.frames.find((x) => x.frame === f)!) >= before,
      )
    ).frame;
  }

  close(): void {
    this.ws.terminate();
  }
}

const wsUrl = (http: string, query = '') => `${http.replace(/^http/, 'ws')}/ws${query}`;
const isEvent = (id: string) => (f: Frame) =>
  f.type === 'message' && f.channel === 'events' && f.data?.id === id;

async function metric(url: string, name: string): Promise<number> {
  const r = await call(url, 'GET', '/metrics');
  const line = r.text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.trim().split(/\s+/).pop()) : NaN;
}

beforeAll(async () => {
  dep = await TestDeployment.start();
  org = await orgBySlug(dep, 'default');
  other = await createOrg(dep, 'rt-other');
  key = await createApiKey(dep, org, { scopes: ['events:write', 'events:read', 'compliance:read'] });
  [a, b] = await Promise.all([startExtraApi(dep), startExtraApi(dep)]);
});

afterAll(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await dep?.destroy();
});

describe('WebSocket /ws', () => {
  it('delivers a change to subscribers on every replica within 250 ms (Redis pub/sub)', async () => {
    const onA = await Client.open(wsUrl(a.url), { authorization: `Bearer ${key}` });
    const onB = await Client.open(wsUrl(b.url, `?token=${key}&channels=events`));
    const onGateway = await Client.open(wsUrl(dep.endpoints.gateway), { authorization: `Bearer ${key}` });
    try {
      expect((await onA.next((f) => f.type === 'welcome')).frame).toMatchObject({ orgId: org.id });
      expect((await onA.subscribe(['events'])).channels).toEqual(['events']);
      await onB.next((f) => f.type === 'subscribed');
      await onGateway.subscribe(['events']);

      for (const [via, base] of [
        ['replica A', a.url],
        ['replica B', b.url],
        ['the gateway', dep.endpoints.gateway],
      ] as const) {
        const e = makeEvent(org.slug);
        const sent = performance.now();
        const r = await call(base, 'POST', '/v1/events', { token: key, body: e });
        expect(r.status, via).toBe(201);
        for (const c of [onA, onB, onGateway]) {
          const got = await c.next(isEvent(e.id), 2_000);
          expect(got.at - sent, `pushed via ${via}`).toBeLessThan(250);
          expect(got.frame).toMatchObject({
            orgId: org.id,
            data: { id: e.id, hash: e.hash, receivedAt: expect.any(String) },
          });
        }
      }
      // a batch: every created event is delivered
      const events = [makeEvent(org.slug), makeEvent(org.slug)];
      await call(a.url, 'POST', '/v1/events/batch', { token: key, body: events });
      for (const e of events) await onB.next(isEvent(e.id), 2_000);
    } finally {
      for (const c of [onA, onB, onGateway]) c.close();
    }
  });

  it('keeps organizations apart and checks the scope of each channel', async () => {
    const otherKey = await createApiKey(dep, other, {
      scopes: ['events:read', 'events:write', 'audit:read'],
    });
    const eventsOnly = await createApiKey(dep, org, { scopes: ['events:read'] });
    const theirs = await Client.open(wsUrl(b.url, `?token=${otherKey}&channels=events`));
    const mine = await Client.open(wsUrl(a.url, `?token=${eventsOnly}`));
    try {
      await theirs.next((f) => f.type === 'subscribed');
      mine.send({ type: 'subscribe', channels: ['events', 'audit', 'bogus'] });
      await mine.next((f) => f.type === 'error' && f.code === 'FORBIDDEN' && f.channel === 'audit');
      await mine.next((f) => f.type === 'error' && f.code === 'UNKNOWN_CHANNEL');
      expect((await mine.next((f) => f.type === 'subscribed')).frame.channels).toEqual(['events']);

      const e = makeEvent(org.slug);
      await call(a.url, 'POST', '/v1/events', { token: key, body: e });
      await mine.next(isEvent(e.id));
      const foreign = makeEvent(other.slug);
      await call(b.url, 'POST', '/v1/events', { token: otherKey, body: foreign });
      await theirs.next(isEvent(foreign.id));
      await new Promise((r) => setTimeout(r, 200));
      expect(theirs.frames.some((f) => f.frame.data?.id === e.id)).toBe(false);
      expect(mine.frames.some((f) => f.frame.data?.id === foreign.id)).toBe(false);

      mine.send({ type: 'ping' });
      await mine.next((f) => f.type === 'pong');
    } finally {
      theirs.close();
      mine.close();
    }
  });

  it('gives the audit channel to admins only, as GET /api/v1/audit does, whatever the scopes', async () => {
    const viewer = await createApiKey(dep, org, { role: 'viewer', scopes: ['events:read', 'audit:read'] });
    const admin = await createApiKey(dep, org, { role: 'admin', scopes: ['audit:read'] });
    const v = await Client.open(wsUrl(a.url, `?token=${viewer}`));
    const ad = await Client.open(wsUrl(a.url, `?token=${admin}`));
    try {
      expect((await v.next((f) => f.type === 'welcome')).frame.channels).toEqual(['events']);
      v.send({ type: 'subscribe', channels: ['audit'] });
      const refused = await v.next((f) => f.type === 'error' && f.channel === 'audit');
      expect(refused.frame.code).toBe('FORBIDDEN');
      expect((await ad.subscribe(['audit'])).channels).toEqual(['audit']);
    } finally {
      v.close();
      ad.close();
    }
  });

  it('refuses an upgrade without valid credentials (401)', async () => {
    await expect(Client.open(wsUrl(a.url))).rejects.toMatchObject({ status: 401 });
    await expect(
      Client.open(wsUrl(a.url, `?token=aigos_${'x'.repeat(12)}_${'Y'.repeat(43)}`)),
    ).rejects.toMatchObject({ status: 401 });
    await expect(Client.open(wsUrl(dep.endpoints.gateway))).rejects.toMatchObject({ status: 401 });
  });

  it('accepts the dashboard session cookie from the deployment origin, not from another origin', async () => {
    const email = `ws-viewer-${Date.now()}@example.com`;
    const made = await dep.handle.exec([
      'aigos-admin',
      'user',
      'create',
      '--email',
      email,
      '--name',
      'WS viewer',
      '--role',
      'viewer',
      '--password',
      'a-long-enough-password-1',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const login = await call(dep.endpoints.gateway, 'POST', '/auth/login', {
      body: { email, password: 'a-long-enough-password-1' },
      headers: { accept: 'application/json' },
    });
    expect(login.status, login.text).toBe(200);
    const cookie = ([] as string[])
      .concat(login.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const origin = new URL(dep.endpoints.public).origin;
    const c = await Client.open(wsUrl(dep.endpoints.gateway, '?channels=events'), { cookie, origin });
    try {
      expect((await c.next((f) => f.type === 'welcome')).frame).toMatchObject({ orgId: org.id });
      await c.next((f) => f.type === 'subscribed');
      const e = makeEvent(org.slug);
      await call(a.url, 'POST', '/v1/events', { token: key, body: e });
      await c.next(isEvent(e.id));
    } finally {
      c.close();
    }
    await expect(
      Client.open(wsUrl(dep.endpoints.gateway), { cookie, origin: 'https://evil.example' }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it('carries changes other modules publish with publishOrgEvent (compliance channel)', async () => {
    const c = await Client.open(wsUrl(b.url, `?token=${key}&channels=compliance`));
    const redis = new Redis(dep.endpoints.redis.url);
    try {
      await c.next((f) => f.type === 'subscribed');
      const sent = performance.now();
      expect(await publishOrgEvent(redis, org.id, 'compliance', { assetId: 'x', score: 87.5 })).toBe(true);
      const got = await c.next((f) => f.type === 'message' && f.channel === 'compliance');
      expect(got.at - sent).toBeLessThan(250);
      expect(got.frame.data).toEqual({ assetId: 'x', score: 87.5 });
    } finally {
      c.close();
      redis.disconnect();
    }
  });

  it('announces an asset change on the compliance and audit channels once it is committed', async () => {
    const writer = await createApiKey(dep, org, {
      role: 'admin', // the audit channel is for admins
      scopes: ['assets:write', 'compliance:read', 'audit:read'],
    });
    const c = await Client.open(wsUrl(dep.endpoints.gateway), { authorization: `Bearer ${writer}` });
    try {
      await c.subscribe(['compliance', 'audit']);
      const card = {
        name: 'Live compliance probe',
        owner: { name: 'Ops', email: 'ops@example.com' },
        technical: { type: 'agent', framework: 'langgraph', model: 'gpt-4o' },
        classification: { riskLevel: 'minimal', rationale: 'test fixture, no users' },
        jurisdictions: ['EU'],
      };
      const sent = performance.now();
      const created = await call<{ id: string }>(dep.endpoints.gateway, 'POST', '/api/v1/assets', {
        token: writer,
        body: card,
      });
      expect(created.status).toBe(201);
      const cardId = created.body.id;
      const compliance = await c.next(
        (f) => f.type === 'message' && f.channel === 'compliance' && f.data?.assetId === cardId,
      );
      expect(compliance.at - sent).toBeLessThan(1_000);
      expect(compliance.frame.data).toMatchObject({ score: expect.any(Number), trigger: 'asset.created' });
      const audit = await c.next(
        (f) => f.type === 'message' && f.channel === 'audit' && f.data?.target?.id === cardId,
      );
      expect(audit.frame.data).toMatchObject({ action: 'asset.created', seq: expect.any(Number) });
    } finally {
      c.close();
    }
  });
});

describe('WebSocket liveness and back-pressure (api processes with small bounds)', () => {
  // two processes: with a 1 s heartbeat, a busy test process (building megabytes of events)
  // could miss a pong and lose the healthy client of the back-pressure test
  let api: ExtraApi;
  let bounded: ExtraApi;
  beforeAll(async () => {
    [api, bounded] = await Promise.all([
      startExtraApi(dep, { WS_HEARTBEAT_MS: '1000' }),
      startExtraApi(dep, { WS_MAX_BUFFERED_BYTES: '65536' }),
    ]);
  });
  afterAll(async () => {
    await Promise.allSettled([api?.stop(), bounded?.stop()]);
  });

  it('pings clients and disconnects one that stops answering', async () => {
    const live = await Client.open(wsUrl(api.url, `?token=${key}`));
    const dead = await Client.open(wsUrl(api.url, `?token=${key}`));
    try {
      await live.next((f) => f.type === 'welcome');
      await dead.next((f) => f.type === 'welcome');
      expect(await metric(api.url, 'aigos_ws_connections')).toBe(2);
      // a client that no longer reads (so never answers a ping)
      (dead.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const deadline = Date.now() + 8_000;
      while ((await metric(api.url, 'aigos_ws_connections')) !== 1) {
        if (Date.now() > deadline) throw new Error('the unresponsive client was not disconnected');
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(live.pings).toBeGreaterThanOrEqual(2);
      expect(live.closed).toBeUndefined();
    } finally {
      live.close();
      dead.close();
    }
  });

  it('drops a slow consumer when its buffer passes the bound; others keep receiving', async () => {
    const slow = await Client.open(wsUrl(bounded.url, `?token=${key}&channels=events`));
    const fast = await Client.open(wsUrl(bounded.url, `?token=${key}&channels=events`));
    try {
      await slow.next((f) => f.type === 'subscribed');
      await fast.next((f) => f.type === 'subscribed');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      // the kernel's socket buffers absorb several MB before the server's own buffer grows:
      // push until the server drops the paused client (5 MB per round, 12 rounds at most)
      const big = 'x'.repeat(50_000);
      let last = '';
      for (let round = 0; round < 12; round++) {
        const events = Array.from({ length: 100 }, () => makeEvent(org.slug, { data: { blob: big } }));
        last = events[events.length - 1]!.id;
        const r = await call(bounded.url, 'POST', '/v1/events/batch', { token: key, body: events });
        expect(r.body.accepted).toBe(100);
        await fast.next(isEvent(last), 10_000);
        if ((await metric(bounded.url, 'aigos_ws_slow_consumers_dropped_total')) >= 1) break;
      }
      const deadline = Date.now() + 5_000;
      while ((await metric(bounded.url, 'aigos_ws_slow_consumers_dropped_total')) < 1) {
        if (Date.now() > deadline) throw new Error('the slow consumer was not dropped');
        await new Promise((r) => setTimeout(r, 100));
      }
      await fast.next(isEvent(last), 10_000);
      expect(fast.closed).toBeUndefined();
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const until = Date.now() + 5_000;
      while (!slow.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(slow.closed?.code === 4008 || slow.closed?.code === 1006).toBe(true);
    } finally {
      slow.close();
      fast.close();
    }
  });
});

describe('WebSocket at shutdown', () => {
  it('closes sockets with 1001 on SIGTERM and the process still drains and exits 0', async () => {
    const api = await startExtraApi(dep);
    try {
      const c = await Client.open(wsUrl(api.url, `?token=${key}&channels=events`));
      await c.next((f) => f.type === 'subscribed');
      const started = Date.now();
      await api.stop();
      expect(api.exit()).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(5_000);
      const until = Date.now() + 2_000;
      while (!c.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(c.closed?.code).toBe(1001);
    } finally {
      await api.stop();
    }
  });
});
