// How suites and scenarios are declared (scenarios/<suite>/index.ts exports a Suite).
// A scenario observes the deployment through the context's drivers and records checks:
// expected vs actual, a remediation hint when it fails, and the evidence behind it.
import type { HttpRequestSpec, HttpResult } from '../drivers/http.js';
import type { TargetKind } from '../targets/target.js';
import type { CheckResult, EvidenceRef, ScenarioResult, Status } from './model.js';
import type { Need, TargetUnderTest } from './target-under-test.js';

export interface Scenario {
  /** `<suite>.<name>`, stable across versions: reports are compared by it. */
  id: string;
  title: string;
  /** Targets the scenario supports (default: all). */
  targets?: readonly TargetKind[];
  /** Scenario ids that must have passed first; otherwise this one is skipped with the reason. */
  dependsOn?: readonly string[];
  /** Per attempt; past it the scenario is errored (default 30 s). */
  timeoutMs?: number;
  /** Retries the scenario declares (with a reason in `retryReason`); a pass that needs more is a failure. */
  retries?: number;
  retryReason?: string;
  needs?: readonly Need[];
  run(ctx: ScenarioContext): Promise<void>;
}

export interface Suite {
  id: string;
  title: string;
  scenarios: Scenario[];
}

export interface CheckInput {
  id: string;
  title: string;
  /** passed when true, failed when false; ignored when status is given. */
  pass?: boolean;
  status?: Status;
  expected?: unknown;
  actual?: unknown;
  /** Kept on failed/errored checks only. */
  remediation?: string;
  skipReason?: string;
  /** Evidence refs, or HTTP results (their transcripts are attached). */
  evidence?: (EvidenceRef | HttpResult | undefined)[];
}

export interface ScenarioContext {
  readonly scenarioId: string;
  readonly target: TargetUnderTest;
  /** Aborted when the scenario times out; pass it to long operations. */
  readonly signal: AbortSignal;
  readonly attempt: number;
  /** Results of the scenarios that ran before this one in this run. */
  readonly previous: ReadonlyMap<string, ScenarioResult>;
  /**
   * One HTTP request; url may be a path on the public URL. The exchange is written as
   * a redacted transcript (result.exchange.evidence) and kept raw for the secret scan.
   * Trusts the target's CA bundle for https unless ca/insecure is given.
   */
  http(spec: Omit<HttpRequestSpec, 'url'> & { url: string; label?: string }): Promise<HttpResult>;
  check(input: CheckInput): CheckResult;
  /** Write an evidence file (text is redacted with the deployment's secrets). */
  evidence(name: string, content: string | Buffer, kind: string, ext?: string): Promise<EvidenceRef>;
  /** The last lines of a component's log as evidence, when the target gives logs. */
  logExcerpt(component: string, lines?: number): Promise<EvidenceRef | undefined>;
  /** Skip the scenario (throws). */
  skip(reason: string): never;
  /** Numbers for the report (latency, counts). */
  metric(name: string, value: unknown): void;
  /** A line of detail for the live progress display. */
  note(text: string): void;
  /** Every HTTP exchange of the run so far, unredacted (for the secret scan). */
  exchanges(): readonly import('../drivers/http.js').HttpExchange[];
}

export class SkipScenario extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipScenario';
  }
}

const ID = /^[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9.-]*$/;

/** Validate a suite's declaration: ids unique, prefixed by the suite, dependencies known. */
export function validateSuites(suites: readonly Suite[]): void {
  const ids = new Set<string>();
  for (const suite of suites) {
    for (const s of suite.scenarios) {
      if (!ID.test(s.id) || !s.id.startsWith(`${suite.id}.`))
        throw new Error(`scenario id ${s.id} must look like ${suite.id}.<name> (lower case, digits, dashes)`);
      if (ids.has(s.id)) throw new Error(`duplicate scenario id ${s.id}`);
      ids.add(s.id);
      if ((s.retries ?? 0) > 0 && !s.retryReason)
        throw new Error(`scenario ${s.id} declares retries without a retryReason`);
    }
  }
}
