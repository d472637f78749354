// Startup benchmark for the local target (issue: foundation).
//   npm run bench:startup [-- --runs 5 --idle-seconds 5]
// Each run: cold `aigos-harness up --target local` into a fresh state directory (initdb,
// migrations, seed, four services) until ready, then idle, then read each service's
// resident memory from /proc, then `down`. Prints the median and the budgets.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET_UP_MS = 10_000;
const BUDGET_RSS_MB = 120;
const SERVICES = ['gateway', 'api', 'ca', 'web'] as const;

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = opt('runs', 5);
const idleSeconds = opt('idle-seconds', 5);
const cli = fileURLToPath(new URL('../harness/src/cli.js', import.meta.url));

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const upTimes: number[] = [];
const rss: Record<string, number[]> = Object.fromEntries(SERVICES.map((s) => [s, []]));
for (let i = 1; i <= runs; i++) {
  const state = mkdtempSync(join(tmpdir(), 'aigos-bench-'));
  try {
    const started = performance.now();
    const up = spawnSync(process.execPath, [cli, 'up', '--target', 'local', '--state', state, '--json'], {
      encoding: 'utf8',
    });
    const ms = performance.now() - started;
    if (up.status !== 0) throw new Error(`up failed (exit ${up.status}):\n${up.stderr}`);
    upTimes.push(ms);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const status = JSON.parse(readFileSync(join(state, 'status.json'), 'utf8')) as {
      components: Record<string, { pid: number }>;
    };
    const line = SERVICES.map((s) => {
      const mb = rssMb(status.components[s]!.pid);
      rss[s]!.push(mb);
      return `${s} ${mb.toFixed(1)} MB`;
    }).join(', ');
    console.log(`run ${i}/${runs}: up ${(ms / 1000).toFixed(2)} s; idle RSS after ${idleSeconds} s: ${line}`);
  } finally {
    spawnSync(process.execPath, [cli, 'down', '--target', 'local', '--state', state], { stdio: 'ignore' });
    rmSync(state, { recursive: true, force: true });
  }
}

const upMedian = median(upTimes);
console.log('');
console.log(
  `cold up to ready: median ${(upMedian / 1000).toFixed(2)} s of ${runs} (min ${(Math.min(...upTimes) / 1000).toFixed(2)}, max ${(Math.max(...upTimes) / 1000).toFixed(2)}); budget ${BUDGET_UP_MS / 1000} s: ${upMedian <= BUDGET_UP_MS ? 'PASS' : 'FAIL'}`,
);
let ok = upMedian <= BUDGET_UP_MS;
for (const s of SERVICES) {
  const m = median(rss[s]!);
  const max = Math.max(...rss[s]!);
  ok &&= max <= BUDGET_RSS_MB;
  console.log(
    `idle RSS ${s.padEnd(8)} median ${m.toFixed(1)} MB, max ${max.toFixed(1)} MB; budget ${BUDGET_RSS_MB} MB: ${max <= BUDGET_RSS_MB ? 'PASS' : 'FAIL'}`,
  );
}
process.exitCode = ok ? 0 : 1;
