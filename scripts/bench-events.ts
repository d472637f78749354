// Ingest benchmark of the governance events API (issue: events, GraphQL, WebSocket).
//   node dist/scripts/bench-events.js [--state DIR] [--via gateway|api | --url URL] [--seconds 15]
//                                     [--phases batch,push,raw]
//                                     [--batch-size 500] [--concurrency 4] [--rate 200] [--warmup 5]
// Without --state it brings a local deployment up in a temporary directory and takes it
// down afterwards. Three phases, all on 127.0.0.1 with keep-alive agents:
//  1. POST /v1/events at a fixed --rate (open loop: a request is sent every 1/rate s
//     whatever the answers; latency is measured from the scheduled time) for --seconds,
//     after --warmup seconds at the same rate that are not measured.
//     Budget: p99 <= 20 ms.
//  2. POST /v1/events/batch, closed loop (N batches in flight) for --seconds: events/s.
//     Budget: >= 3000 events/s.
//  3. The raw PostgreSQL ceiling: the same rows (same columns, same JSON) inserted
//     directly into governance_events as the application role, multi-row INSERT of
//     --batch-size rows, same concurrency, for --seconds: rows/s, and the ratio API/raw.
// Prints the numbers and PASS/FAIL per budget; exits 1 when a budget fails.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const BUDGET_BATCH_EPS = 3_000;
const BUDGET_PUSH_P99_MS = 20;

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const seconds = Number(opt('seconds', '15'));
const batchSize = Number(opt('batch-size', '500'));
const concurrency = Number(opt('concurrency', '4'));
const rate = Number(opt('rate', '200'));
const warmupSeconds = Number(opt('warmup', '5'));
const via = opt('via', 'gateway');
const phases = opt('phases', 'batch,push,raw').split(',');
const cli = fileURLToPath(new URL('../harness/src/cli.js', import.meta.url));

// ---- deployment --------------------------------------------------------------------

let state = opt('state', '');
let owned = false;
if (!state) {
  state = join(mkdtempSync(join(tmpdir(), 'aigos-bench-events-')), 'state');
  owned = true;
  console.log(`bringing a local deployment up in ${state} ...`);
  const up = spawnSync(process.execPath, [cli, 'up', '--target', 'local', '--state', state, '--json'], {
    encoding: 'utf8',
  });
  if (up.status !== 0) {
    console.error(`up failed (exit ${up.status}):\n${up.stderr}`);
    process.exit(2);
  }
}
const endpoints = JSON.parse(readFileSync(join(state, 'endpoints.json'), 'utf8')) as {
  gateway: string;
  api: string;
  database: { url: string };
};
const base = opt('url', '') || (via === 'api' ? endpoints.api : endpoints.gateway);

function teardown(): void {
  if (!owned) return;
  spawnSync(process.execPath, [cli, 'down', '--target', 'local', '--state', state], { stdio: 'ignore' });
  rmSync(join(state, '..'), { recursive: true, force: true });
}

function apiKey(name: string): string {
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'exec',
      '--target',
      'local',
      '--state',
      state,
      '--',
      'aigos-admin',
      'apikey',
      'create',
      '--org',
      'default',
      '--role',
      'editor',
      '--scopes',
      'events:write,events:read,assets:read',
      '--name',
      name,
    ],
    { encoding: 'utf8' },
  );
  const key = /aigos_[a-z0-9]{12}_[A-Za-z0-9]{43}/.exec(r.stdout)?.[0];
  if (!key) throw new Error(`could not create an API key: ${r.stderr || r.stdout}`);
  return key;
}

// ---- events ------------------------------------------------------------------------

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

let counter = 0;
function event(criticality = 'normal'): Record<string, unknown> {
  const n = counter++;
  const e: Record<string, unknown> = {
    id: `evt_${randomBytes(16).toString('hex')}`,
    specVersion: '1.0',
    schemaVersion: 'aigrc-events@0.1.0',
    type: 'aigrc.scan.completed',
    category: 'scan',
    criticality,
    source: {
      tool: 'cli',
      version: '0.4.2',
      orgId: 'default',
      instanceId: 'bench',
      identity: { type: 'api-key', subject: 'bench@example.com' },
      environment: 'ci',
    },
    orgId: 'default',
    assetId: `bench-asset-${n % 50}`,
    producedAt: new Date().toISOString(),
    goldenThread: {
      type: 'linked',
      system: 'jira',
      ref: 'BENCH-1',
      url: 'https://jira.example.com/browse/BENCH-1',
      status: 'active',
    },
    data: { findings: n % 7, scanner: 'aigrc', files: 120, durationMs: 842 },
  };
  e.hash = `sha256:${createHash('sha256')
    .update(JSON.stringify(sortKeys(e)))
    .digest('hex')}`;
  return e;
}

// ---- HTTP --------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(path: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, base),
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const ms = (x: number) => `${x.toFixed(1)} ms`;

// ---- phases ------------------------------------------------------------------------

async function batchPhase(token: string) {
  // bodies made before the clock starts, so the client's hashing does not compete
  const needed = Math.ceil((seconds * 16_000) / batchSize) + concurrency;
  const bodies: string[] = [];
  for (let i = 0; i < needed; i++)
    bodies.push(JSON.stringify(Array.from({ length: batchSize }, () => event())));
  await post('/v1/events/batch', token, bodies.pop()!); // warm up
  let accepted = 0;
  let failed = 0;
  const lat: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && bodies.length) {
        const t = performance.now();
        const r = await post('/v1/events/batch', token, bodies.pop()!);
        lat.push(performance.now() - t);
        if (r.status === 200) accepted += (JSON.parse(r.text) as { accepted: number }).accepted;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return {
    eps: accepted / elapsed,
    accepted,
    failed,
    elapsed,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    exhausted: bodies.length === 0,
  };
}

async function pushPhase(token: string) {
  // warm-up at the same rate, not measured: a cold process (JIT, pool connections) is not
  // what the budget is about
  if (warmupSeconds > 0) await openLoopPush(token, warmupSeconds);
  const before = await fullCollections();
  const result = await openLoopPush(token, seconds);
  const after = await fullCollections();
  const gc = Object.fromEntries(
    Object.entries(after).map(([service, n]) => [service, n - (before[service] ?? 0)]),
  );
  return { ...result, fullCollections: gc };
}

/**
 * Full (mark-compact) collections so far in the gateway and the api, from their metrics:
 * each one can stall a service for milliseconds, the usual cause of a latency tail.
 * Empty when the services' own ports are not known (--url).
 */
async function fullCollections(): Promise<Record<string, number>> {
  if (opt('url', '')) return {};
  const out: Record<string, number> = {};
  for (const [service, url] of [
    ['gateway', endpoints.gateway],
    ['api', endpoints.api],
  ] as const) {
    const text = await fetch(new URL('/metrics', url)).then((r) => r.text());
    const line = text
      .split('\n')
      .find(
        (l) => l.startsWith('aigos_process_nodejs_gc_duration_seconds_count') && l.includes('kind="major"'),
      );
    out[service] = Number(line?.split(' ').pop() ?? 0); // no line before the first one
  }
  return out;
}

/**
 * The open-loop driver. It is built not to add latency of its own: bodies are encoded
 * before the clock starts (Buffers, off the JavaScript heap), nothing per request is kept
 * but its latency (a preallocated array), and answers are drained without being read.
 */
async function openLoopPush(token: string, duration: number) {
  const total = Math.round(duration * rate);
  const bodies = Array.from({ length: total + 20 }, () => Buffer.from(JSON.stringify(event())));
  for (let i = 0; i < 20; i++) await post('/v1/events', token, bodies[total + i]!.toString()); // open the connections
  const url = new URL('/v1/events', base);
  const authorization = `Bearer ${token}`;
  const lat = new Float64Array(total);
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  let answered = 0;
  let allAnswered!: () => void;
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const settled = new Uint8Array(total); // an error after the answer must not count twice
  const settle = (i: number, scheduled: number, status: number) => {
    if (settled[i]) return;
    settled[i] = 1;
    lat[i] = performance.now() - scheduled;
    count(status);
    if (++answered === total) allAnswered();
  };
  const interval = 1000 / rate;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const scheduled = started + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = bodies[i]!;
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization },
      },
      (res) => {
        res.resume();
        res.on('end', () => settle(i, scheduled, res.statusCode ?? 0));
      },
    );
    req.on('error', () => settle(i, scheduled, 0));
    req.end(body);
  }
  await done;
  const elapsed = (performance.now() - started) / 1000;
  lat.sort();
  const sorted = Array.from(lat);
  return {
    sent: total,
    achievedRps: total / elapsed,
    statuses: Object.fromEntries(statuses),
    p50: pct(sorted, 50),
    p95: pct(sorted, 95),
    p99: pct(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

async function rawPhase() {
  const admin = new pg.Client({ connectionString: endpoints.database.url });
  await admin.connect();
  const orgId = (await admin.query<{ id: string }>(`SELECT id FROM organizations WHERE slug = 'default'`))
    .rows[0]!.id;
  await admin.end();
  // rows made on the fly from one template (cheap: a new id and hash per row)
  const template = event();
  const run = randomBytes(8).toString('hex');
  let n = 0;
  const nextBatch = (): unknown[] => {
    const params: unknown[] = [];
    for (let i = 0; i < batchSize; i++) {
      const id = `evt_${run}${(n++).toString(16).padStart(16, '0')}`;
      const hash = `sha256:${createHash('sha256').update(id).digest('hex')}`;
      const json = JSON.stringify({ ...template, id, hash });
      params.push(
        orgId,
        id,
        template.type,
        template.category,
        template.criticality,
        template.assetId,
        template.producedAt,
        hash,
        null,
        'none',
        'producer',
        json,
      );
    }
    return params;
  };
  const cols = 12;
  const values = Array.from(
    { length: batchSize },
    (_, r) =>
      `(${Array.from({ length: cols }, (_, c) => `$${r * cols + c + 1}${c === 11 ? '::jsonb' : ''}`).join(', ')})`,
  ).join(', ');
  const sql = `INSERT INTO governance_events (organization_id, id, type, category, criticality, asset_id, produced_at, hash, previous_hash, chain_status, origin, event) VALUES ${values}`;
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const c = new pg.Client({ connectionString: endpoints.database.url });
      await c.connect();
      return c;
    }),
  );
  let rows = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline) {
        const params = nextBatch();
        await c.query(`BEGIN; SELECT set_config('app.org_id', '${orgId}', true)`);
        await c.query(sql, params);
        await c.query('COMMIT');
        rows += batchSize;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  return { rps: rows / elapsed, rows, elapsed };
}

// ---- run ---------------------------------------------------------------------------

let exit = 0;
try {
  console.log(
    `target ${base} (via ${via}); ${seconds} s per phase; batches of ${batchSize}, ${concurrency} in flight; single pushes at ${rate} req/s`,
  );
  // single pushes first (latency on a quiet system), a pause between phases so that one
  // phase's aftermath (autovacuum, WAL writes) does not land in the next
  const pause = () => new Promise((r) => setTimeout(r, 3_000));
  const push = phases.includes('push') ? await pushPhase(apiKey('bench-push')) : undefined;
  if (push) await pause();
  const batch = phases.includes('batch') ? await batchPhase(apiKey('bench-batch')) : undefined;
  if (batch) await pause();
  const raw = phases.includes('raw') ? await rawPhase() : undefined;
  const batchOk = !batch || batch.eps >= BUDGET_BATCH_EPS;
  const pushOk =
    !push || (push.p99 <= BUDGET_PUSH_P99_MS && Object.keys(push.statuses).every((s) => s === '201'));
  console.log('');
  if (batch) {
    console.log(
      `POST /v1/events/batch  ${batch.eps.toFixed(0)} events/s sustained (${batch.accepted} accepted in ${batch.elapsed.toFixed(1)} s, ${batch.failed} failed requests; batch latency p50 ${ms(batch.p50)}, p99 ${ms(batch.p99)})${batch.exhausted ? ' [ran out of pre-built batches]' : ''}`,
    );
    console.log(`  budget >= ${BUDGET_BATCH_EPS} events/s: ${batchOk ? 'PASS' : 'FAIL'}`);
  }
  if (push) {
    console.log(
      `POST /v1/events        ${push.sent} requests at ${push.achievedRps.toFixed(0)} req/s (open loop); statuses ${JSON.stringify(push.statuses)}; latency p50 ${ms(push.p50)}, p95 ${ms(push.p95)}, p99 ${ms(push.p99)}, max ${ms(push.max)}`,
    );
    console.log(`  budget p99 <= ${BUDGET_PUSH_P99_MS} ms at ${rate} req/s: ${pushOk ? 'PASS' : 'FAIL'}`);
    const gc = Object.entries(push.fullCollections);
    if (gc.length)
      console.log(`  full GCs while measuring: ${gc.map(([service, n]) => `${service} ${n}`).join(', ')}`);
  }
  if (raw) {
    console.log(
      `raw PostgreSQL INSERT  ${raw.rps.toFixed(0)} rows/s (multi-row INSERT of ${batchSize}, ${concurrency} connections, same rows and indexes)`,
    );
    if (batch)
      console.log(`  API batch ingest / raw insert ceiling = ${((batch.eps / raw.rps) * 100).toFixed(0)} %`);
  }
  console.log(
    JSON.stringify({
      batch,
      push,
      raw,
      budgets: { batchEventsPerSecond: BUDGET_BATCH_EPS, pushP99Ms: BUDGET_PUSH_P99_MS },
      pass: batchOk && pushOk,
    }),
  );
  if (!batchOk || !pushOk) exit = 1;
} catch (err) {
  console.error(err instanceof Error ? err.stack : String(err));
  exit = 2;
} finally {
  agent.destroy();
  teardown();
}
process.exit(exit);
