// Live progress on stderr. On a terminal: one line redrawn in place with the counts,
// the current scenario and the elapsed time, plus a persistent line for each scenario
// that did not pass. Elsewhere (CI logs): one line per finished scenario. Quiet: nothing.
import type { Report, ScenarioResult } from '../runner/model.js';
import type { Reporter, RunInfo, ScenarioInfo } from './reporter.js';

const MARK: Record<ScenarioResult['status'], string> = {
  passed: 'PASS',
  failed: 'FAIL',
  skipped: 'SKIP',
  errored: 'ERR ',
};

export class ProgressReporter implements Reporter {
  readonly name = 'progress';
  private counts = { passed: 0, failed: 0, skipped: 0, errored: 0 };
  private started = Date.now();
  private total = 0;
  private current?: ScenarioInfo;
  private currentStarted = 0;
  private note = '';
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly out:
      NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean } = process.stderr,
    private readonly tty = Boolean((out as NodeJS.WriteStream).isTTY),
  ) {}

  private elapsed(ms = Date.now() - this.started): string {
    return `${(ms / 1000).toFixed(1)} s`;
  }

  private line(): string {
    const c = this.counts;
    const done = c.passed + c.failed + c.skipped + c.errored;
    const cur = this.current
      ? ` | ${this.current.id} ${this.elapsed(Date.now() - this.currentStarted)}${this.note ? ` - ${this.note}` : ''}`
      : '';
    const text = `[${done}/${this.total}] ${c.passed} passed, ${c.failed} failed, ${c.errored} errored, ${c.skipped} skipped | ${this.elapsed()}${cur}`;
    const width = (this.out as NodeJS.WriteStream).columns ?? 120;
    return text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
  }

  private redraw(): void {
    if (this.tty) this.out.write(`\r\x1b[K${this.line()}`);
  }

  onRunBegin(info: RunInfo): void {
    this.total = info.total;
    this.started = info.startedAt.getTime();
    this.out.write(
      `aigos-harness: run ${info.runId} against ${info.targetKind} ${info.targetUrl} (${info.total} scenarios)\n`,
    );
    if (this.tty) this.timer = setInterval(() => this.redraw(), 250).unref();
  }

  onScenarioBegin(info: ScenarioInfo): void {
    this.current = info;
    this.currentStarted = Date.now();
    this.note = '';
    this.redraw();
  }

  onScenarioNote(_info: ScenarioInfo, text: string): void {
    this.note = text;
    this.redraw();
  }

  onScenarioEnd(info: ScenarioInfo, result: ScenarioResult): void {
    this.counts[result.status]++;
    this.current = undefined;
    const detail =
      result.status === 'skipped'
        ? ` - ${result.skipReason ?? ''}`
        : result.status === 'passed'
          ? result.attempts
            ? ` (attempt ${result.attempts}, ${result.declaredRetries ?? 0} retr${result.declaredRetries === 1 ? 'y' : 'ies'} declared)`
            : ''
          : ` - ${
              result.error ??
              result.checks
                .filter((c) => c.status === 'failed' || c.status === 'errored')
                .map((c) => c.title)
                .join('; ')
            }`;
    const text = `${MARK[result.status]} ${info.id} (${result.durationMs} ms)${detail}`;
    if (this.tty) {
      if (result.status !== 'passed') this.out.write(`\r\x1b[K${text}\n`);
      this.redraw();
    } else {
      this.out.write(`[${info.index}/${info.total}] ${text}\n`);
    }
  }

  onRunEnd(report: Report): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.out.write('\r\x1b[K');
    const s = report.summary;
    this.out.write(
      `${s.total} scenarios: ${s.passed} passed, ${s.failed} failed, ${s.errored} errored, ${s.skipped} skipped (${this.elapsed()})\n`,
    );
  }
}
