// One event interface, many outputs (Playwright's reporters): every hook is optional,
// and the multiplexer feeds several reporters and isolates one that throws so the run
// still completes and the others still write.
import type { Report, ScenarioResult } from '../runner/model.js';

export interface RunInfo {
  runId: string;
  targetKind: string;
  targetUrl: string;
  /** Scenarios planned (before skips). */
  total: number;
  startedAt: Date;
}

export interface ScenarioInfo {
  suiteId: string;
  id: string;
  title: string;
  /** 1-based position in the run. */
  index: number;
  total: number;
}

export interface Reporter {
  readonly name: string;
  onRunBegin?(info: RunInfo): void | Promise<void>;
  onScenarioBegin?(info: ScenarioInfo): void | Promise<void>;
  /** A line of detail from the running scenario. */
  onScenarioNote?(info: ScenarioInfo, text: string): void | Promise<void>;
  onScenarioEnd?(info: ScenarioInfo, result: ScenarioResult): void | Promise<void>;
  /** The finished report; `dir` is the run's report directory. */
  onRunEnd?(report: Report, dir: string): void | Promise<void>;
}

export interface ReporterFailure {
  reporter: string;
  hook: string;
  message: string;
}

export class Multiplexer implements Reporter {
  readonly name = 'multiplexer';
  readonly failures: ReporterFailure[] = [];

  constructor(
    private readonly reporters: Reporter[],
    private readonly warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  private async each<K extends keyof Reporter>(hook: K, call: (r: Reporter) => unknown): Promise<void> {
    for (const r of this.reporters) {
      if (typeof r[hook] !== 'function') continue;
      try {
        await call(r);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.failures.push({ reporter: r.name, hook, message });
        this.warn(`aigos-harness: reporter ${r.name} failed in ${hook}: ${message}`);
      }
    }
  }

  onRunBegin(info: RunInfo) {
    return this.each('onRunBegin', (r) => r.onRunBegin!(info));
  }
  onScenarioBegin(info: ScenarioInfo) {
    return this.each('onScenarioBegin', (r) => r.onScenarioBegin!(info));
  }
  onScenarioNote(info: ScenarioInfo, text: string) {
    return this.each('onScenarioNote', (r) => r.onScenarioNote!(info, text));
  }
  onScenarioEnd(info: ScenarioInfo, result: ScenarioResult) {
    return this.each('onScenarioEnd', (r) => r.onScenarioEnd!(info, result));
  }
  onRunEnd(report: Report, dir: string) {
    return this.each('onRunEnd', (r) => r.onRunEnd!(report, dir));
  }
}
