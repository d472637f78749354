// Helpers of the harness tests: a tiny HTTP server to aim scenarios at, a target under
// test without any deployment behind it, and real local deployments with the runner.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChromium } from '../../harness/src/drivers/browser.js';
import type { Report, ScenarioResult } from '../../harness/src/runner/model.js';
import { Redactor } from '../../harness/src/runner/redact.js';
import { Runner } from '../../harness/src/runner/runner.js';
import type { Suite } from '../../harness/src/runner/scenario.js';
import { LocalDeployment } from '../../harness/src/targets/local/local-target.js';
import { StateDir } from '../../harness/src/targets/local/state.js';
import type { Status } from '../../harness/src/targets/local/supervisor.js';
import { harness } from '../support/harness.js';
import type {
  Capability,
  Component,
  Endpoints,
  ExecResult,
  NamedSecret,
  StartedDeployment,
} from '../../harness/src/targets/target.js';
import { TargetUnderTest } from '../../harness/src/runner/target-under-test.js';

export interface TestServer {
  url: string;
  server: Server;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

export function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        server,
        requests,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A deployment that exists only in memory (capabilities and secrets as given). */
export class FakeDeployment implements StartedDeployment {
  readonly kind = 'local' as const;
  stopped: Component[] = [];
  constructor(
    readonly publicUrl: string,
    readonly capabilities: ReadonlySet<Capability> = new Set(),
    private readonly secrets: NamedSecret[] = [],
  ) {}
  async endpoints(): Promise<Endpoints> {
    const u = this.publicUrl;
    return {
      target: 'local',
      version: '0.0.0-test',
      public: u,
      gateway: u,
      web: u,
      api: u,
      ca: u,
      database: { url: '' },
      redis: { url: '' },
      storage: { endpoint: '', bucket: '' },
      admin: { email: 'admin@test', passwordFile: '' },
    };
  }
  async version() {
    return '0.0.0-test';
  }
  async exec(argv: string[]): Promise<ExecResult> {
    return { code: 0, stdout: argv.join(' '), stderr: '' };
  }
  async stopComponent(c: Component) {
    this.stopped.push(c);
  }
  async startComponent() {}
  async secretValues() {
    return this.secrets;
  }
  async logTail(component: string) {
    return [`${component} log line`];
  }
  async down() {}
}

export async function fakeTarget(
  publicUrl: string,
  opts: { capabilities?: Capability[]; secrets?: NamedSecret[] } = {},
): Promise<TargetUnderTest> {
  return TargetUnderTest.of(
    new FakeDeployment(publicUrl, new Set(opts.capabilities ?? []), opts.secrets ?? []),
    {
      admin: {},
    },
  );
}

// ---- real local deployments (behind the repository's nginx) ----------------------------

export interface LocalUnderTest {
  tmp: string;
  stateDir: string;
  deployment: LocalDeployment;
  target: TargetUnderTest;
  /** `down`, then make sure nothing of it survives, then remove the temporary directory. */
  destroy(): Promise<void>;
}

/** `aigos-harness up --target local --proxy <flags>` in a temporary state directory. */
export async function upLocal(flags: string[]): Promise<LocalUnderTest> {
  const tmp = await mkdtemp(join(tmpdir(), 'aigos-harness-deploy-'));
  const stateDir = join(tmp, 'state');
  const destroy = async () => {
    const state = new StateDir(stateDir);
    const status = await state.readJson<Status>(state.statusFile);
    await harness(['down', '--target', 'local', '--state', stateDir], { timeoutMs: 60_000 });
    if (status?.supervisorPid) {
      try {
        process.kill(-status.supervisorPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await rm(tmp, { recursive: true, force: true });
  };
  const up = await harness(['up', '--target', 'local', '--state', stateDir, '--proxy', '--json', ...flags], {
    timeoutMs: 100_000,
  });
  if (up.code !== 0) {
    await destroy();
    throw new Error(`up --proxy ${flags.join(' ')} failed (${up.code}):\n${up.stderr}`);
  }
  const deployment = new LocalDeployment(new StateDir(stateDir));
  const target = await TargetUnderTest.of(deployment, { browserPath: findChromium() });
  return { tmp, stateDir, deployment, target, destroy };
}

/** Run suites (optionally only some scenario ids) with the real runner; results by scenario id. */
export async function runScenarios(
  target: TargetUnderTest,
  reportRoot: string,
  suites: Suite[],
  only?: string[],
): Promise<Map<string, ScenarioResult>> {
  const picked = only
    ? suites.map((s) => ({ ...s, scenarios: s.scenarios.filter((x) => only.includes(x.id)) }))
    : suites;
  const runner = new Runner({
    runId: `test-${Date.now()}`,
    toolVersion: '0.0.0',
    target,
    suites: picked,
    reportDir: join(reportRoot, 'reports', `${Date.now()}-${Math.random().toString(16).slice(2, 6)}`),
    redactor: new Redactor(await target.secretValues()),
  });
  const report: Report = await runner.run();
  return new Map(report.suites.flatMap((s) => s.scenarios).map((s) => [s.id, s]));
}

export const failedChecks = (r: ScenarioResult) =>
  r.checks.filter((c) => c.status === 'failed' || c.status === 'errored');

/** "id: failed checks" lines of the scenarios that did not pass (for readable assertions). */
export function notPassed(results: Map<string, ScenarioResult>): string[] {
  return [...results.values()]
    .filter((r) => r.status !== 'passed')
    .map(
      (r) =>
        `${r.id} ${r.status}: ${
          r.skipReason ??
          r.error ??
          failedChecks(r)
            .map((c) => `${c.id} ${JSON.stringify(c.actual)}`)
            .join('; ')
        }`,
    );
}
