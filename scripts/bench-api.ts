// API benchmark (issue 3): asset list latency and compliance re-evaluation time.
//   node dist/scripts/bench-api.js [--state DIR] [--rps 100] [--seconds 20] [--warmup 10] [--assets 10000] [--direct] [--json]
// Without --state it brings up its own local deployment in a temporary directory and
// takes it down afterwards; with --state it uses the running deployment there.
//  1. an organization with 10k asset cards (bulk SQL as the application role, inside
//     the organization's RLS context), the three built-in packs, all assets evaluated;
//  2. GET /api/v1/assets?limit=50 at a fixed rate (open loop: request i is due at
//     t0 + i/rps whatever happened before, and its latency counts from that due time, so
//     a slow server cannot hide queueing), through the gateway on 127.0.0.1 with
//     keep-alive connections; p50/p95/p99/max, then the same over deep pages (cursors);
//  3. re-evaluation of 1k assets against the three packs (POST /api/v1/compliance/evaluate),
//     three runs, plus the 10k organization once for scale.
// Budgets: list p99 <= 20 ms at 100 req/s; 1k-asset re-evaluation <= 5 s.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const BUDGET_P99_MS = 20;
const BUDGET_EVAL_MS = 5_000;
const MAX_IN_FLIGHT = 256;

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const flag = (name: string) => args.includes(`--${name}`);
const rps = Number(opt('rps') ?? 100);
const seconds = Number(opt('seconds') ?? 20);
const assetCount = Number(opt('assets') ?? 10_000);
const warmup = Number(opt('warmup') ?? 10);
const evalAssets = 1_000;
const cli = fileURLToPath(new URL('../harness/src/cli.js', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Endpoints {
  gateway: string;
  api: string;
  database: { url: string };
}

function harness(argv: string[], state: string): { stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [cli, ...argv.slice(0, 1), '--target', 'local', '--state', state, ...argv.slice(1)],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.status !== 0)
    throw new Error(`aigos-harness ${argv.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return { stdout: r.stdout, stderr: r.stderr };
}
const admin = (state: string, ...argv: string[]) =>
  harness(['exec', '--', 'aigos-admin', ...argv], state).stdout;

// ---- data ----------------------------------------------------------------------------

const RISKS = ['minimal', 'limited', 'high', 'unacceptable'] as const;
const TYPES = ['model', 'agent', 'api_client', 'framework', 'pipeline'] as const;
const GOV = ['draft', 'linked', 'approved', 'production'] as const;
const JUR = [['EU'], ['EU', 'DE'], ['US'], ['US', 'US-CA'], ['EU', 'US'], ['GB']];
const WORDS = [
  'fraud',
  'churn',
  'credit',
  'support',
  'triage',
  'pricing',
  'search',
  'vision',
  'forecast',
  'routing',
];

function makeCard(i: number, prefix: string): Record<string, unknown> {
  const risk = RISKS[i % 20 === 0 ? 3 : i % 3]!;
  const word = WORDS[i % WORDS.length]!;
  return {
    id: `${prefix}-${String(i).padStart(6, '0')}`,
    name: `${word[0]!.toUpperCase()}${word.slice(1)} ${TYPES[i % 5]} ${i}`,
    description: `Benchmark asset ${i}: ${word} workload used to exercise listing, filtering and evaluation at scale.`,
    version: '1.0.0',
    owner: {
      name: `Owner ${i % 50}`,
      email: `owner${i % 50}@bench.example`,
      ...(i % 4 ? { team: `Team ${i % 12}` } : {}),
    },
    technical: {
      type: TYPES[i % 5],
      framework: ['pytorch', 'xgboost', 'langgraph', 'sklearn'][i % 4],
      ...(i % 3 ? { model: `m-${i % 97}` } : {}),
      ...(i % 7 === 0 ? { provider: 'openai' } : {}),
    },
    classification: {
      riskLevel: risk,
      ...(i % 5 ? { rationale: `Classified ${risk} after the intake review of benchmark asset ${i}.` } : {}),
      riskFactors: {
        customerFacing: i % 2 === 0,
        piiProcessing: ['yes', 'no', 'unknown'][i % 3],
        highStakesDecisions: i % 9 === 0,
        autonomousDecisions: i % 11 === 0,
      },
    },
    jurisdictions: JUR[i % JUR.length],
    ...(i % 3 === 0 ? { goldenThread: { system: 'jira', ref: `AI-${i}` } } : {}),
    governance: {
      status: GOV[i % 4],
      approvals: i % 4 === 3 ? [{ role: 'owner', name: 'Bench Approver', date: '2025-01-01' }] : [],
    },
    ...(i % 6 === 0
      ? { constraints: { humanApprovalRequired: ['decline'], monitoring: { logAllDecisions: true } } }
      : {}),
  };
}

async function insertAssets(dbUrl: string, orgId: string, n: number, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
    for (let start = 0; start < n; start += 2_000) {
      const cards = Array.from({ length: Math.min(2_000, n - start) }, (_, k) => makeCard(start + k, prefix));
      await client.query(
        `INSERT INTO asset_cards (organization_id, card_id, name, description, owner_email, tech_type, risk_level,
           governance_status, jurisdictions, card, status, created_by, created_at, updated_at)
         SELECT $1, c->>'id', c->>'name', c->>'description', c->'owner'->>'email', c->'technical'->>'type',
                c->'classification'->>'riskLevel', c->'governance'->>'status',
                ARRAY(SELECT jsonb_array_elements_text(c->'jurisdictions')), c,
                CASE WHEN ord % 3 = 0 THEN 'registered' ELSE 'draft' END, 'bench',
                now() - make_interval(secs => ord), now() - make_interval(secs => ord)
           FROM unnest($2::jsonb[]) WITH ORDINALITY AS u(c, ord)`,
        [orgId, cards.map((c) => JSON.stringify(c))],
      );
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

// ---- HTTP ----------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(url: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent, headers: { authorization: `Bearer ${key}`, accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function post(url: string, key: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.text() };
}

interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  dropped: number;
  latencies: number[];
  serviceTimes: number[];
  achievedRps: number;
}

/** Open-loop constant-rate driver; at most MAX_IN_FLIGHT requests outstanding. */
async function openLoop(
  urls: () => string,
  key: string,
  rate: number,
  durationS: number,
): Promise<LoadResult> {
  const total = Math.round(rate * durationS);
  const interval = 1000 / rate;
  const result: LoadResult = {
    sent: 0,
    ok: 0,
    errors: 0,
    dropped: 0,
    latencies: [],
    serviceTimes: [],
    achievedRps: 0,
  };
  const pending: Promise<void>[] = [];
  let inFlight = 0;
  const t0 = performance.now() + 20;
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= MAX_IN_FLIGHT) {
      result.dropped++;
      continue;
    }
    inFlight++;
    result.sent++;
    const sentAt = performance.now();
    pending.push(
      get(urls(), key)
        .then((r) => {
          const done = performance.now();
          if (r.status === 200) result.ok++;
          else result.errors++;
          result.latencies.push(done - due);
          result.serviceTimes.push(done - sentAt);
        })
        .catch(() => {
          result.errors++;
        })
        .finally(() => inFlight--),
    );
  }
  await Promise.all(pending);
  result.achievedRps = result.sent / ((performance.now() - t0) / 1000);
  return result;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
function summary(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return {
    p50: pct(s, 50),
    p95: pct(s, 95),
    p99: pct(s, 99),
    max: s[s.length - 1] ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
  };
}
const ms = (v: number) => `${v.toFixed(2)} ms`;

// ---- main ----------------------------------------------------------------------------

async function main(): Promise<void> {
  let state = opt('state');
  let tmp: string | undefined;
  if (!state) {
    tmp = mkdtempSync(join(tmpdir(), 'aigos-bench-api-'));
    state = join(tmp, 'state');
    log(`bringing up a local deployment in ${state}`);
    harness(['up', '--json'], state);
  }
  try {
    const endpoints = JSON.parse(readFileSync(join(state, 'endpoints.json'), 'utf8')) as Endpoints;
    const base = flag('direct') ? endpoints.api : endpoints.gateway;
    const tag = randomBytes(3).toString('hex');

    log(`creating organization bench-${tag} with ${assetCount} asset cards`);
    const org = JSON.parse(
      admin(
        state,
        'org',
        'create',
        '--name',
        `Benchmark ${tag}`,
        '--slug',
        `bench-${tag}`,
        '--plan',
        'enterprise',
        '--json',
      ),
    ) as { id: string };
    const key = (
      JSON.parse(
        admin(
          state,
          'apikey',
          'create',
          '--org',
          `bench-${tag}`,
          '--role',
          'admin',
          '--scopes',
          '*',
          '--name',
          'bench',
          '--json',
        ),
      ) as { key: string }
    ).key;
    let t = performance.now();
    await insertAssets(endpoints.database.url, org.id, assetCount, `bench-${tag}`);
    log(`  inserted in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    admin(
      state,
      'policy',
      'import',
      '--source',
      'built-in',
      '--policies',
      'eu-ai-act,nist-ai-rmf,iso-42001',
      '--org',
      `bench-${tag}`,
    );
    t = performance.now();
    const eval10k = await post(`${base}/api/v1/compliance/evaluate`, key);
    if (eval10k.status !== 200) throw new Error(`evaluate failed: ${eval10k.status} ${eval10k.body}`);
    const eval10kMs = performance.now() - t;
    const eval10kServer = JSON.parse(eval10k.body) as { durationMs: number; orgScore: { score: number } };
    log(
      `  ${assetCount} assets evaluated against 3 packs in ${(eval10kMs / 1000).toFixed(2)} s (org score ${eval10kServer.orgScore.score})`,
    );

    // steady state before measuring: statistics current (as autovacuum would leave them
    // after a bulk load) and the evaluation's garbage collected
    {
      const db = new pg.Client({ connectionString: endpoints.database.url });
      await db.connect();
      await db.query('VACUUM (ANALYZE) asset_cards, asset_compliance, compliance_history');
      await db.end();
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const probe = await get(`${base}/api/v1/assets?limit=50`, key);
    const page = JSON.parse(probe.body) as { items: unknown[]; nextCursor: string };
    if (probe.status !== 200 || page.items.length !== 50)
      throw new Error(`unexpected list answer ${probe.status}: ${probe.body.slice(0, 200)}`);
    const pageBytes = Buffer.byteLength(probe.body);

    // cursors of pages across the whole list, for the deep-page run
    const cursors: string[] = [];
    let cursor: string | null = page.nextCursor;
    while (cursor && cursors.length < 199) {
      cursors.push(cursor);
      const next = JSON.parse((await get(`${base}/api/v1/assets?limit=50&cursor=${cursor}`, key)).body) as {
        nextCursor: string | null;
      };
      cursor = next.nextCursor;
    }

    log(`warm-up: ${warmup} s at ${rps} req/s`);
    await openLoop(() => `${base}/api/v1/assets?limit=50`, key, rps, warmup);
    log(
      `measuring GET /api/v1/assets?limit=50 at ${rps} req/s for ${seconds} s (${flag('direct') ? 'api directly' : 'through the gateway'})`,
    );
    const first = await openLoop(() => `${base}/api/v1/assets?limit=50`, key, rps, seconds);
    let n = 0;
    log(`measuring deep pages (${cursors.length} cursors) at ${rps} req/s for ${seconds} s`);
    const deep = await openLoop(
      () => `${base}/api/v1/assets?limit=50&cursor=${cursors[n++ % cursors.length]}`,
      key,
      rps,
      seconds,
    );

    log(`creating organization bench1k-${tag} with ${evalAssets} asset cards for the re-evaluation timing`);
    const org1k = JSON.parse(
      admin(
        state,
        'org',
        'create',
        '--name',
        `Benchmark 1k ${tag}`,
        '--slug',
        `bench1k-${tag}`,
        '--plan',
        'enterprise',
        '--json',
      ),
    ) as { id: string };
    const key1k = (
      JSON.parse(
        admin(
          state,
          'apikey',
          'create',
          '--org',
          `bench1k-${tag}`,
          '--role',
          'admin',
          '--scopes',
          '*',
          '--json',
        ),
      ) as { key: string }
    ).key;
    admin(
      state,
      'policy',
      'import',
      '--source',
      'built-in',
      '--policies',
      'eu-ai-act,nist-ai-rmf,iso-42001',
      '--org',
      `bench1k-${tag}`,
    );
    // packs first, then the assets: the first evaluation below computes and writes all
    // 1k results; the next two re-evaluate with nothing changed
    await insertAssets(endpoints.database.url, org1k.id, evalAssets, `bench1k-${tag}`);
    const evals: { clientMs: number; serverMs: number; written: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const r = await post(`${base}/api/v1/compliance/evaluate`, key1k);
      if (r.status !== 200) throw new Error(`evaluate failed: ${r.status} ${r.body}`);
      const body = JSON.parse(r.body) as { durationMs: number; changed: number; assets: number };
      if (body.assets !== evalAssets)
        throw new Error(`evaluated ${body.assets} assets, expected ${evalAssets}`);
      evals.push({ clientMs: performance.now() - s, serverMs: body.durationMs, written: body.changed });
    }

    const lat = summary(first.latencies);
    const svc = summary(first.serviceTimes);
    const deepLat = summary(deep.latencies);
    const evalMedian = [...evals.map((e) => e.clientMs)].sort((a, b) => a - b)[1]!;
    const report = {
      target: base,
      assets: assetCount,
      pageBytes,
      list: {
        rps,
        seconds,
        sent: first.sent,
        ok: first.ok,
        errors: first.errors,
        dropped: first.dropped,
        achievedRps: first.achievedRps,
        latencyMs: lat,
        serviceTimeMs: svc,
      },
      deepPages: {
        sent: deep.sent,
        ok: deep.ok,
        errors: deep.errors,
        dropped: deep.dropped,
        latencyMs: deepLat,
      },
      evaluate1k: { runs: evals, medianMs: evalMedian },
      evaluate10k: { clientMs: eval10kMs, serverMs: eval10kServer.durationMs },
      budgets: {
        listP99: {
          budgetMs: BUDGET_P99_MS,
          observedMs: lat.p99,
          passed: lat.p99 <= BUDGET_P99_MS && first.errors === 0 && first.dropped === 0,
        },
        evaluate1k: {
          budgetMs: BUDGET_EVAL_MS,
          observedMs: Math.max(...evals.map((e) => e.clientMs)),
          passed: evals.every((e) => e.clientMs <= BUDGET_EVAL_MS),
        },
      },
    };
    if (flag('json')) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      const line = (s: ReturnType<typeof summary>) =>
        `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)}`;
      console.log(`AIGOS api benchmark (${base}, Node ${process.version})`);
      console.log(
        `GET /api/v1/assets?limit=50, ${assetCount} assets in the organization, ${pageBytes} bytes per page`,
      );
      console.log(
        `  first page, ${rps} req/s for ${seconds} s: ${first.ok}/${first.sent} ok, ${first.errors} errors, ${first.dropped} dropped, ${first.achievedRps.toFixed(1)} req/s achieved`,
      );
      console.log(`    latency from due time: ${line(lat)}`);
      console.log(`    service time:          ${line(svc)}`);
      console.log(`  deep pages (cursors over the whole list): ${deep.ok}/${deep.sent} ok`);
      console.log(`    latency from due time: ${line(deepLat)}`);
      console.log(
        `Compliance re-evaluation, ${evalAssets} assets x 3 packs (eu-ai-act, nist-ai-rmf, iso-42001):`,
      );
      evals.forEach((e, i) =>
        console.log(
          `  run ${i + 1}: ${(e.clientMs / 1000).toFixed(3)} s (server ${e.serverMs} ms, ${e.written} results written)`,
        ),
      );
      console.log(`  (scale: ${assetCount} assets x 3 packs in ${(eval10kMs / 1000).toFixed(2)} s)`);
      console.log('Budgets:');
      console.log(
        `  list p99 <= ${BUDGET_P99_MS} ms at ${rps} req/s: ${report.budgets.listP99.passed ? 'PASS' : 'FAIL'} (${ms(lat.p99)})`,
      );
      console.log(
        `  1k re-evaluation <= ${BUDGET_EVAL_MS / 1000} s: ${report.budgets.evaluate1k.passed ? 'PASS' : 'FAIL'} (slowest ${(report.budgets.evaluate1k.observedMs / 1000).toFixed(3)} s)`,
      );
    }
    process.exitCode = report.budgets.listP99.passed && report.budgets.evaluate1k.passed ? 0 : 1;
  } finally {
    agent.destroy();
    if (tmp) {
      log('taking the deployment down');
      spawnSync(process.execPath, [cli, 'down', '--target', 'local', '--state', state], { stdio: 'ignore' });
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench-api: ${err.message}\n`);
  process.exitCode = 2;
});
