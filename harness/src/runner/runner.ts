// The scenario runner: orders scenarios by their dependencies, skips those whose
// target cannot give what they need or whose dependency did not pass (one cause shows
// as one failure), enforces each scenario's timeout (-> errored), applies declared
// retries and reports undeclared ones as failures, and collects evidence.
import { setMaxListeners } from 'node:events';
import { httpProbe, type HttpExchange, type HttpResult } from '../drivers/http.js';
import type { Reporter, ScenarioInfo } from '../reporters/reporter.js';
import { EvidenceStore } from './evidence.js';
import type { CheckResult, EvidenceRef, Report, ScenarioResult, Status, SuiteResult } from './model.js';
import { SCHEMA_VERSION, summarize } from './model.js';
import type { Redactor } from './redact.js';
import {
  type CheckInput,
  type Scenario,
  type ScenarioContext,
  SkipScenario,
  type Suite,
  validateSuites,
} from './scenario.js';
import type { TargetUnderTest } from './target-under-test.js';
import { formatTranscript } from './transcript.js';

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface RunOptions {
  runId: string;
  toolVersion: string;
  target: TargetUnderTest;
  suites: Suite[];
  /** The run's report directory (evidence goes under it). */
  reportDir: string;
  redactor: Redactor;
  reporter?: Reporter;
  /**
   * Extra attempts for failing scenarios that declare none (CI's --retries): a scenario
   * that passes only thanks to them is reported failed, with the attempts, so flakiness
   * is seen rather than hidden.
   */
  undeclaredRetries?: number;
}

function isHttpResult(x: EvidenceRef | HttpResult): x is HttpResult {
  return (x as HttpResult).exchange !== undefined;
}

/** Dependencies first, otherwise in declaration order. */
export function orderScenarios(scenarios: Scenario[]): Scenario[] {
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  const out: Scenario[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: Scenario, path: string[]) => {
    const st = state.get(s.id);
    if (st === 'done') return;
    if (st === 'visiting') throw new Error(`dependency cycle: ${[...path, s.id].join(' -> ')}`);
    state.set(s.id, 'visiting');
    for (const dep of s.dependsOn ?? []) {
      const d = byId.get(dep);
      if (d) visit(d, [...path, s.id]);
    }
    state.set(s.id, 'done');
    out.push(s);
  };
  for (const s of scenarios) visit(s, []);
  return out;
}

class Context implements ScenarioContext {
  readonly checks: CheckResult[] = [];
  readonly metrics: Record<string, unknown> = {};
  private readonly transcripts = new WeakMap<HttpExchange, Promise<EvidenceRef>>();
  private pending: Promise<unknown>[] = [];
  private httpCount = 0;

  constructor(
    readonly scenarioId: string,
    readonly target: TargetUnderTest,
    readonly signal: AbortSignal,
    readonly attempt: number,
    readonly previous: ReadonlyMap<string, ScenarioResult>,
    private readonly store: EvidenceStore,
    private readonly allExchanges: HttpExchange[],
    private readonly onNote: (text: string) => void,
  ) {}

  async http(spec: Parameters<ScenarioContext['http']>[0]): Promise<HttpResult> {
    const url = /^https?:\/\//.test(spec.url) ? spec.url : this.target.url(spec.url);
    const ca = spec.ca ?? (url.startsWith(this.target.publicUrl) ? this.target.caBundle : undefined);
    const res = await httpProbe({ ...spec, url, ca, signal: spec.signal ?? this.signal });
    this.allExchanges.push(res.exchange);
    const n = ++this.httpCount;
    const label = spec.label ?? `${res.exchange.method} ${new URL(url).pathname}`;
    const written = this.store.write(
      this.scenarioId,
      `http-${label}`,
      formatTranscript(res.exchange, `${this.scenarioId} #${n} ${label}`),
      'http-transcript',
    );
    this.transcripts.set(res.exchange, written);
    this.pending.push(written);
    await written;
    return res;
  }

  private evidenceRefs(items: CheckInput['evidence']): Promise<EvidenceRef[]> {
    return Promise.all(
      (items ?? [])
        .filter((x): x is EvidenceRef | HttpResult => x !== undefined)
        .map((x) => (isHttpResult(x) ? this.transcripts.get(x.exchange) : Promise.resolve(x)))
        .filter((x): x is Promise<EvidenceRef> => x !== undefined),
    );
  }

  check(input: CheckInput): CheckResult {
    const status: Status = input.status ?? (input.pass ? 'passed' : 'failed');
    const record: CheckResult = { id: input.id, title: input.title, status };
    if (input.expected !== undefined) record.expected = input.expected;
    if (input.actual !== undefined) record.actual = input.actual;
    if ((status === 'failed' || status === 'errored') && input.remediation)
      record.remediation = input.remediation;
    if (status === 'skipped') record.skipReason = input.skipReason ?? 'skipped';
    this.checks.push(record);
    if (input.evidence?.length) {
      const p = this.evidenceRefs(input.evidence).then((refs) => {
        if (refs.length) record.evidence = refs;
      });
      this.pending.push(p);
    }
    return record;
  }

  async evidence(name: string, content: string | Buffer, kind: string, ext?: string): Promise<EvidenceRef> {
    const p = this.store.write(this.scenarioId, name, content, kind, ext);
    this.pending.push(p);
    return p;
  }

  async logExcerpt(component: string, lines = 40): Promise<EvidenceRef | undefined> {
    const tail = await this.target.logTail(component, lines).catch(() => []);
    if (!tail.length) return undefined;
    return this.evidence(`log-${component}`, tail.join('\n') + '\n', 'log', 'log');
  }

  skip(reason: string): never {
    throw new SkipScenario(reason);
  }

  metric(name: string, value: unknown): void {
    this.metrics[name] = value;
  }

  note(text: string): void {
    this.onNote(text);
  }

  exchanges(): readonly HttpExchange[] {
    return this.allExchanges;
  }

  /** Wait for evidence files still being written (so the refs are complete). */
  async settle(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      await Promise.allSettled(batch);
    }
  }
}

function deriveStatus(checks: CheckResult[]): { status: Status; skipReason?: string; error?: string } {
  if (checks.length === 0) return { status: 'errored', error: 'the scenario recorded no checks' };
  if (checks.some((c) => c.status === 'errored')) return { status: 'errored' };
  if (checks.some((c) => c.status === 'failed')) return { status: 'failed' };
  if (checks.every((c) => c.status === 'skipped'))
    return { status: 'skipped', skipReason: `every check was skipped: ${checks[0]!.skipReason ?? ''}` };
  return { status: 'passed' };
}

export class Runner {
  readonly exchanges: HttpExchange[] = [];
  private readonly results = new Map<string, ScenarioResult>();
  private readonly store: EvidenceStore;

  constructor(private readonly opts: RunOptions) {
    this.store = new EvidenceStore(opts.reportDir, opts.redactor);
  }

  /** Run every suite and return the report (reporters get the events as it goes). */
  async run(): Promise<Report> {
    const { target, suites, reporter } = this.opts;
    validateSuites(suites);
    const startedAt = new Date();
    const plan = suites.map((suite) => ({ suite, scenarios: orderScenarios(suite.scenarios) }));
    const total = plan.reduce((n, p) => n + p.scenarios.length, 0);
    await reporter?.onRunBegin?.({
      runId: this.opts.runId,
      targetKind: target.kind,
      targetUrl: target.publicUrl,
      total,
      startedAt,
    });
    const suiteResults: SuiteResult[] = [];
    let index = 0;
    for (const { suite, scenarios } of plan) {
      const suiteResult: SuiteResult = { id: suite.id, title: suite.title, scenarios: [] };
      suiteResults.push(suiteResult);
      for (const scenario of scenarios) {
        const info: ScenarioInfo = {
          suiteId: suite.id,
          id: scenario.id,
          title: scenario.title,
          index: ++index,
          total,
        };
        await reporter?.onScenarioBegin?.(info);
        const result = await this.runScenario(scenario, info);
        this.results.set(scenario.id, result);
        suiteResult.scenarios.push(result);
        await reporter?.onScenarioEnd?.(info, result);
      }
    }
    return {
      schemaVersion: SCHEMA_VERSION,
      runId: this.opts.runId,
      tool: { name: 'aigos-harness', version: this.opts.toolVersion },
      target: { kind: target.kind, url: target.publicUrl, version: target.version },
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      summary: summarize(suiteResults),
      suites: suiteResults,
    };
  }

  /** Why the scenario cannot run here, or undefined. */
  private precondition(s: Scenario): string | undefined {
    const { target } = this.opts;
    if (s.targets && !s.targets.includes(target.kind))
      return `supports the ${s.targets.join(', ')} target${s.targets.length > 1 ? 's' : ''}, not ${target.kind}`;
    for (const need of s.needs ?? []) if (!target.has(need)) return target.missingReason(need);
    for (const dep of s.dependsOn ?? []) {
      const r = this.results.get(dep);
      if (r && r.status !== 'passed') {
        const why =
          r.status === 'skipped'
            ? `was skipped (${r.skipReason ?? 'no reason'})`
            : r.status === 'errored'
              ? 'errored'
              : 'failed';
        return `depends on ${dep}, which ${why}`;
      }
    }
    return undefined;
  }

  private async runScenario(s: Scenario, info: ScenarioInfo): Promise<ScenarioResult> {
    const started = Date.now();
    const base = { id: s.id, title: s.title };
    const skipReason = this.precondition(s);
    if (skipReason) return { ...base, status: 'skipped', durationMs: 0, skipReason, checks: [] };
    const declared = s.retries ?? 0;
    const maxAttempts = 1 + Math.max(declared, this.opts.undeclaredRetries ?? 0);
    let last: ScenarioResult | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      last = await this.attempt(s, info, attempt);
      if (last.status === 'passed' || last.status === 'skipped') break;
    }
    const result = { ...last!, durationMs: Date.now() - started };
    const attempts = result.attempts ?? 1;
    if (declared > 0) result.declaredRetries = declared;
    if (attempts > 1 && result.status === 'passed' && attempts - 1 > declared) {
      result.status = 'failed';
      result.checks.push({
        id: 'retries',
        title: 'passes without undeclared retries',
        status: 'failed',
        expected: `at most ${declared} retr${declared === 1 ? 'y' : 'ies'} (declared)`,
        actual: `passed on attempt ${attempts}`,
        remediation:
          'The scenario is flaky: find why the first attempt failed (see its evidence). If the retry is legitimate, declare it in the scenario (retries and retryReason).',
      });
    }
    return result;
  }

  private async attempt(s: Scenario, info: ScenarioInfo, attempt: number): Promise<ScenarioResult> {
    const started = Date.now();
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // a scenario may run many requests at once
    const ctx = new Context(
      s.id,
      this.opts.target,
      controller.signal,
      attempt,
      this.results,
      this.store,
      this.exchanges,
      (text) => void this.opts.reporter?.onScenarioNote?.(info, text),
    );
    const timeoutMs = s.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    let outcome:
      | { kind: 'done' }
      | { kind: 'skip'; reason: string }
      | { kind: 'error'; message: string }
      | { kind: 'timeout' };
    try {
      const r = await Promise.race([s.run(ctx).then(() => 'done' as const), timedOut]);
      outcome = r === 'timeout' ? { kind: 'timeout' } : { kind: 'done' };
    } catch (err) {
      outcome =
        err instanceof SkipScenario
          ? { kind: 'skip', reason: err.reason }
          : { kind: 'error', message: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
    if (outcome.kind === 'timeout') controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    await ctx.settle();
    const checks = [...ctx.checks];
    const result: ScenarioResult = {
      id: s.id,
      title: s.title,
      status: 'passed',
      durationMs: Date.now() - started,
      checks,
      ...(Object.keys(ctx.metrics).length ? { metrics: ctx.metrics } : {}),
      ...(attempt > 1 ? { attempts: attempt } : {}),
    };
    switch (outcome.kind) {
      case 'timeout':
        result.status = 'errored';
        result.error = `timed out after ${timeoutMs} ms`;
        checks.push({
          id: 'timeout',
          title: `finishes within ${timeoutMs} ms`,
          status: 'errored',
          expected: `<= ${timeoutMs} ms`,
          actual: 'still running',
          remediation:
            'The deployment did not answer in time: check that every service is ready (GET /health/ready) and look at the service logs.',
        });
        break;
      case 'skip':
        result.status = 'skipped';
        result.skipReason = outcome.reason;
        break;
      case 'error':
        result.status = 'errored';
        result.error = outcome.message;
        checks.push({
          id: 'error',
          title: 'runs to completion',
          status: 'errored',
          actual: outcome.message,
          remediation:
            'The scenario stopped on an unexpected error (see actual); it may be a harness bug or an unexpected answer from the deployment.',
        });
        break;
      case 'done': {
        const d = deriveStatus(checks);
        result.status = d.status;
        if (d.skipReason) result.skipReason = d.skipReason;
        if (d.error) result.error = d.error;
      }
    }
    return result;
  }
}
