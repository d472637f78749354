// Local-login benchmark (issue 5).
//   npx tsc -p . && node dist/scripts/bench-auth.js [--users 20] [--seconds 30] [--think-ms 1000]
//        [--state DIR]          use a running local deployment instead of bringing one up
//        [--saturate-seconds 10] also run the users back to back (no think time), for information
//
// Brings a local deployment up (127.0.0.1 only) unless --state names one, creates N users
// with argon2id hashes made with the reference's own parameters, then runs N concurrent
// virtual users through the gateway: POST /auth/login (JSON), then POST /auth/logout,
// then a think time, for the given duration. Each user has its own client address
// (X-Forwarded-For from the loopback proxy, which TRUST_PROXY trusts by default), as
// distinct users behind the deployment's proxy would. Only the login request is timed.
// Prints p50/p95/p99/max and the budget verdict (p99 <= 150 ms).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ARGON2_DESCRIPTION, hashPassword } from '../reference/src/api/auth/passwords.js';

const BUDGET_P99_MS = 150;
const args = process.argv.slice(2);
const opt = (name: string, fallback: string | undefined) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const users = Number(opt('users', '20'));
const seconds = Number(opt('seconds', '30'));
const thinkMs = Number(opt('think-ms', '1000'));
const saturateSeconds = Number(opt('saturate-seconds', '10'));
const existingState = opt('state', undefined);
const cli = fileURLToPath(new URL('../harness/src/cli.js', import.meta.url));

interface Endpoints {
  gateway: string;
  database: { url: string };
}

function post(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; ms: number; body: string; cookie?: string }> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => {
          const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: text, cookie });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function phase(
  e: Endpoints,
  accounts: { email: string; password: string; ip: string }[],
  durationS: number,
  think: number,
) {
  const latencies: number[] = [];
  let errors = 0;
  // 429: the seed's /auth limit per client address (AUTH_RATE_LIMIT_RPS, login and logout
  // both count) refused it; users with no think time can reach it, which is not an error
  let limited = 0;
  const until = Date.now() + durationS * 1000;
  await Promise.all(
    accounts.map(async (a, i) => {
      await new Promise((r) => setTimeout(r, (i * Math.max(think, 50)) / accounts.length)); // spread the start
      while (Date.now() < until) {
        const login = await post(
          `${e.gateway}/auth/login`,
          { email: a.email, password: a.password },
          { 'x-forwarded-for': a.ip },
        );
        if (login.status === 429) limited++;
        else if (login.status !== 200) {
          errors++;
          if (errors < 5) console.error(`login ${a.email}: ${login.status} ${login.body.slice(0, 200)}`);
        } else {
          latencies.push(login.ms);
          const csrf = (JSON.parse(login.body) as { csrfToken: string }).csrfToken;
          await post(
            `${e.gateway}/auth/logout`,
            {},
            { 'x-forwarded-for': a.ip, 'x-csrf-token': csrf, cookie: login.cookie ?? '' },
          );
        }
        if (think) await new Promise((r) => setTimeout(r, think));
      }
    }),
  );
  const sorted = [...latencies].sort((x, y) => x - y);
  return {
    n: sorted.length,
    errors,
    limited,
    rps: sorted.length / durationS,
    p50: pct(sorted, 50),
    p95: pct(sorted, 95),
    p99: pct(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

let state = existingState;
let tmp: string | undefined;
if (!state) {
  tmp = mkdtempSync(join(tmpdir(), 'aigos-bench-auth-'));
  state = join(tmp, 'state');
  console.log('bringing up a local deployment…');
  const up = spawnSync(process.execPath, [cli, 'up', '--target', 'local', '--state', state, '--json'], {
    encoding: 'utf8',
  });
  if (up.status !== 0) throw new Error(`up failed (exit ${up.status}):\n${up.stderr}`);
}
try {
  const file = join(state, 'endpoints.json');
  if (!existsSync(file)) throw new Error(`no deployment in ${state}`);
  const e = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
  const db = new pg.Client({ connectionString: e.database.url });
  await db.connect();
  const org = (await db.query<{ id: string }>(`SELECT id FROM organizations ORDER BY created_at LIMIT 1`))
    .rows[0]!.id;
  const run = randomBytes(3).toString('hex');
  const accounts = [];
  for (let i = 0; i < users; i++) {
    const email = `bench-${run}-${i}@bench.example`;
    const password = `bench-${randomBytes(12).toString('base64url')}`;
    const u = await db.query<{ id: string }>(
      `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id`,
      [email, `Bench ${i}`, await hashPassword(password)],
    );
    await db.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
      org,
      u.rows[0]!.id,
    ]);
    accounts.push({ email, password, ip: `198.18.${200 + Math.floor(i / 250)}.${(i % 250) + 1}` });
  }
  await db.end();

  console.log(
    `password hashing: ${ARGON2_DESCRIPTION} (OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 minimum)`,
  );
  console.log(
    `machine: ${availableParallelism()} CPU(s); through the gateway ${e.gateway}; ${users} concurrent users`,
  );
  await phase(e, accounts.slice(0, 4), 2, 300); // warm-up: JIT, pools, first argon2 allocations
  await new Promise((r) => setTimeout(r, 1_500)); // let the warm-up's rate-limit buckets drain

  const a = await phase(e, accounts, seconds, thinkMs);
  const line = (label: string, r: typeof a) =>
    `${label}: ${r.n} logins, ${r.errors} errors, ${r.limited} refused by the per-address /auth rate limit (429), ${r.rps.toFixed(1)} logins/s; latency p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`;
  console.log(line(`${users} users, ${thinkMs} ms think time, ${seconds} s`, a));
  let saturated;
  if (saturateSeconds > 0) {
    saturated = await phase(e, accounts, saturateSeconds, 0);
    console.log(
      line(`${users} users back to back (no think time, for information), ${saturateSeconds} s`, saturated),
    );
  }
  const ok = a.p99 <= BUDGET_P99_MS && a.errors === 0 && a.limited === 0;
  console.log(
    `budget: login p99 <= ${BUDGET_P99_MS} ms at ${users} concurrent users -> ${ok ? 'PASS' : 'FAIL'} (p99 ${a.p99.toFixed(1)} ms)`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  if (tmp) {
    spawnSync(process.execPath, [cli, 'down', '--target', 'local', '--state', state], { stdio: 'ignore' });
    rmSync(tmp, { recursive: true, force: true });
  }
}
