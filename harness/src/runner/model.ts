// The result model: one run as report.json records it (contracts.md §2, schemaVersion
// "1"). Every reporter renders this and nothing else. Fields beyond the contract are
// additive (attempts, declaredRetries, needs, durationMs of checks).
import type { TargetKind } from '../targets/target.js';

export const SCHEMA_VERSION = '1';

export type Status = 'passed' | 'failed' | 'skipped' | 'errored';

export interface EvidenceRef {
  /** http-transcript | screenshot | log | text | json */
  kind: string;
  /** Relative to the report directory, forward slashes (evidence/<scenario>/...). */
  path: string;
  sha256: string;
}

export interface CheckResult {
  id: string;
  title: string;
  status: Status;
  expected?: unknown;
  actual?: unknown;
  remediation?: string;
  skipReason?: string;
  evidence?: EvidenceRef[];
}

export interface ScenarioResult {
  id: string;
  title: string;
  status: Status;
  durationMs: number;
  skipReason?: string;
  checks: CheckResult[];
  metrics?: Record<string, unknown>;
  /** How many times it ran (1 unless it declared retries and needed them). */
  attempts?: number;
  /** Retries the scenario declared; a pass that needed more than declared is a failure. */
  declaredRetries?: number;
  /** When errored: what went wrong in the harness or the scenario (timeout, exception). */
  error?: string;
}

export interface SuiteResult {
  id: string;
  title: string;
  scenarios: ScenarioResult[];
}

export interface Summary {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  errored: number;
}

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  runId: string;
  tool: { name: 'aigos-harness'; version: string };
  target: { kind: TargetKind; url: string; version: string };
  startedAt: string;
  finishedAt: string;
  summary: Summary;
  suites: SuiteResult[];
}

export function summarize(suites: SuiteResult[]): Summary {
  const s: Summary = { total: 0, passed: 0, failed: 0, skipped: 0, errored: 0 };
  for (const suite of suites)
    for (const sc of suite.scenarios) {
      s.total++;
      s[sc.status]++;
    }
  return s;
}

/** 0 when every non-skipped scenario passed, 1 when any failed or errored (architecture.md). */
export function exitCodeOf(summary: Summary): 0 | 1 {
  return summary.failed + summary.errored > 0 ? 1 : 0;
}

/** A run id that sorts by time and is safe as a directory name: 20261203T183000Z-a1b2. */
export function newRunId(now = new Date(), random = Math.random): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const suffix = Math.floor(random() * 0xffff)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${suffix}`;
}
