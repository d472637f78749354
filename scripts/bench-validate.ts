// Benchmark of the harness (issue: harness).
//   node dist/scripts/bench-validate.js [--runs 1] [--skip-validate]
// 1. Wall time of the full `aigos-harness validate` (fresh local target behind nginx,
//    every suite, signed reports, teardown), budget 120 s.
// 2. Report generation for 1,000 synthetic checks (report.json + signature, junit.xml,
//    report.html, summary.md), budget 1 s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileReporters } from '../harness/src/reporters/files.js';
import { Multiplexer } from '../harness/src/reporters/reporter.js';
import { loadOrCreateSigningKey } from '../harness/src/reporters/sign.js';
import { type Report, type ScenarioResult, summarize } from '../harness/src/runner/model.js';

const BUDGET_VALIDATE_MS = 120_000;
const BUDGET_REPORT_MS = 1_000;
const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 1;
const cli = fileURLToPath(new URL('../harness/src/cli.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'aigos-bench-validate-'));
const key = join(tmp, 'key', 'signing-key.pem');
let ok = true;

try {
  if (!args.includes('--skip-validate')) {
    for (let i = 1; i <= runs; i++) {
      const started = performance.now();
      const r = spawnSync(
        process.execPath,
        [
          cli,
          'validate',
          '--quiet',
          '--out',
          join(tmp, 'reports'),
          '--key',
          key,
          '--state',
          join(tmp, 'state'),
        ],
        {
          encoding: 'utf8',
        },
      );
      const ms = performance.now() - started;
      const summary =
        r.stderr.split('\n').find((l) => /scenarios:/.test(l)) ??
        r.stderr.trim().split('\n').slice(-3).join(' | ');
      const pass = ms <= BUDGET_VALIDATE_MS && r.status !== 2;
      ok &&= pass;
      console.log(
        `validate run ${i}/${runs}: ${(ms / 1000).toFixed(1)} s wall, exit ${r.status} (${summary}); budget ${BUDGET_VALIDATE_MS / 1000} s: ${pass ? 'PASS' : 'FAIL'}`,
      );
    }
  }

  const checksPerScenario = 10;
  const scenarios: ScenarioResult[] = Array.from({ length: 100 }, (_, i) => ({
    id: `bench.s${String(i).padStart(3, '0')}`,
    title: `synthetic scenario ${i}`,
    status: i % 17 === 0 ? 'failed' : i % 13 === 0 ? 'skipped' : 'passed',
    durationMs: (i * 37) % 900,
    ...(i % 13 === 0 && i % 17 !== 0 ? { skipReason: 'synthetic skip' } : {}),
    checks: Array.from({ length: checksPerScenario }, (_, j) => ({
      id: `c${j}`,
      title: `synthetic check ${j} of scenario ${i}`,
      status: i % 17 === 0 && j === 0 ? 'failed' : 'passed',
      expected: { status: 200, body: 'ok' },
      actual: { status: i % 17 === 0 && j === 0 ? 503 : 200, body: 'x'.repeat(40) },
      remediation:
        i % 17 === 0 && j === 0
          ? 'Redis connection failed: check REDIS_PASSWORD and that Redis is running.'
          : undefined,
      evidence: [
        { kind: 'http-transcript', path: `evidence/bench.s${i}/00${j}.txt`, sha256: '0'.repeat(64) },
      ],
    })),
  }));
  const suites = [
    { id: 'bench-a', title: 'synthetic A', scenarios: scenarios.slice(0, 50) },
    { id: 'bench-b', title: 'synthetic B', scenarios: scenarios.slice(50) },
  ];
  const now = new Date().toISOString();
  const report: Report = {
    schemaVersion: '1',
    runId: 'bench',
    tool: { name: 'aigos-harness', version: '0.0.0' },
    target: { kind: 'local', url: 'https://127.0.0.1:8443', version: '0.0.0' },
    startedAt: now,
    finishedAt: now,
    summary: summarize(suites),
    suites,
  };
  const signingKey = await loadOrCreateSigningKey({ path: key });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const dir = join(tmp, 'synthetic', String(i));
    const mux = new Multiplexer(fileReporters(signingKey));
    const started = performance.now();
    await mux.onRunEnd(report, dir);
    times.push(performance.now() - started);
    if (mux.failures.length) throw new Error(`reporter failed: ${JSON.stringify(mux.failures)}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[2]!;
  const pass = median <= BUDGET_REPORT_MS;
  ok &&= pass;
  console.log(
    `report generation for ${scenarios.length * checksPerScenario} checks (json + signature, junit, html, markdown, latest): median ${median.toFixed(0)} ms of 5 (min ${sorted[0]!.toFixed(0)}, max ${sorted[4]!.toFixed(0)}); budget ${BUDGET_REPORT_MS} ms: ${pass ? 'PASS' : 'FAIL'}`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
