// The local target: the whole deployment on this machine, no Docker (architecture.md,
// "Embedded default"). `up` starts a detached supervisor and returns once it reports
// ready; the handle reads endpoints, runs operator commands, stops/starts components
// and tears down.
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  type Capability,
  type Component,
  type Endpoints,
  type ExecResult,
  type NamedSecret,
  type StartedDeployment,
  type Target,
  type UpOptions,
} from '../target.js';
import { REFERENCE_BIN, SUPERVISOR_ENTRY } from '../../util/paths.js';
import { findRedisServer } from './components/redis.js';
import { SECRET_NAMES, StateDir } from './state.js';
import { findNginx } from './components/nginx.js';
import { idpSecretValues } from './components/idps.js';
import {
  type Layout,
  runSupervisor,
  type Status,
  SUPERVISOR_FLAGS,
  type SupervisorOptions,
} from './supervisor.js';

export class DeploymentFailedError extends Error {
  constructor(
    message: string,
    readonly lastLines: string[] = [],
    readonly logFile?: string,
  ) {
    super(message);
    this.name = 'DeploymentFailedError';
  }
}

export class PrerequisiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrerequisiteError';
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tailOf(file: string, n: number): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-n);
  } catch {
    return [];
  }
}

export class LocalTarget implements Target {
  readonly kind = 'local' as const;
  readonly state: StateDir;

  constructor(stateRoot: string) {
    this.state = new StateDir(stateRoot);
  }

  private async checkPrerequisites(opts: { proxy?: boolean } = {}): Promise<void> {
    for (const [name, file] of Object.entries({ ...REFERENCE_BIN, supervisor: SUPERVISOR_ENTRY })) {
      if (!existsSync(file))
        throw new PrerequisiteError(`${name} is not built (${file} is missing); run npm run build`);
    }
    await findRedisServer().catch((err: Error) => {
      throw new PrerequisiteError(err.message);
    });
    if (opts.proxy)
      await findNginx().catch((err: Error) => {
        throw new PrerequisiteError(err.message);
      });
  }

  async attach(): Promise<LocalDeployment | undefined> {
    const status = await this.state.readJson<Status>(this.state.statusFile);
    if (!status || status.state !== 'ready' || !alive(status.supervisorPid)) return undefined;
    return new LocalDeployment(this.state);
  }

  async up(opts: UpOptions = {}): Promise<LocalDeployment> {
    const say = opts.onProgress ?? (() => undefined);
    await this.checkPrerequisites(opts);
    const running = await this.attach();
    if (running) {
      say(`already running (state ${this.state.root})`);
      return running;
    }
    const previous = await this.state.readJson<Status>(this.state.statusFile);
    if (previous && alive(previous.supervisorPid) && previous.state !== 'stopped') {
      throw new DeploymentFailedError(
        `a supervisor (pid ${previous.supervisorPid}) is already using ${this.state.root} in state ${previous.state}; run down first`,
      );
    }
    await this.state.ensure();
    await rm(this.state.statusFile, { force: true });
    if (opts.foreground) throw new Error('use runForeground() for --foreground');
    const logFd = openSync(this.state.supervisorLog, 'a', 0o600);
    const flags = (Object.keys(SUPERVISOR_FLAGS) as (keyof typeof SUPERVISOR_FLAGS)[])
      .filter((option) => opts[option])
      .map((option) => SUPERVISOR_FLAGS[option]);
    const supervisorArgs = [SUPERVISOR_ENTRY, '--state', this.state.root, ...flags];
    const child = spawn(process.execPath, supervisorArgs, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: process.env,
    });
    closeSync(logFd);
    child.unref();
    // Ctrl-C while waiting: take the supervisor (and so its children) down with us
    const interrupt = () => {
      say('interrupted; stopping the deployment');
      if (child.pid) process.kill(child.pid, 'SIGTERM');
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      return await this.waitReady(child.pid!, say);
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  }

  /** `up --foreground`: supervise in this process until Ctrl-C; resolves with the exit code. */
  async runForeground(say: (line: string) => void, opts: SupervisorOptions = {}): Promise<number> {
    await this.checkPrerequisites(opts);
    if (await this.attach())
      throw new DeploymentFailedError(
        `a deployment is already running in ${this.state.root}; run down first`,
      );
    return runSupervisor(this.state.root, say, opts);
  }

  private async waitReady(pid: number, say: (line: string) => void): Promise<LocalDeployment> {
    let lastStep: string | undefined;
    let printedNotices = 0;
    for (;;) {
      const status = await this.state.readJson<Status>(this.state.statusFile);
      if (status) {
        for (const n of status.notices.slice(printedNotices)) say(n);
        printedNotices = status.notices.length;
        if (status.step && status.step !== lastStep && status.state === 'starting') say(status.step);
        lastStep = status.step;
        if (status.state === 'ready') return new LocalDeployment(this.state);
        if (status.state === 'failed' || status.state === 'stopped' || status.state === 'stopping') {
          await this.waitExit(pid, 15_000);
          const f = status.failure;
          throw new DeploymentFailedError(
            f?.message ?? `deployment ${status.state} during bring-up`,
            f?.lastLines ?? [],
            f?.logFile,
          );
        }
      }
      if (!alive(pid)) {
        const again = await this.state.readJson<Status>(this.state.statusFile);
        if (again?.state === 'ready') return new LocalDeployment(this.state);
        const f = again?.failure;
        throw new DeploymentFailedError(
          f?.message ?? 'the supervisor exited during bring-up',
          f?.lastLines ?? (await tailOf(this.state.supervisorLog, 20)),
          f?.logFile ?? this.state.supervisorLog,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async waitExit(pid: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (alive(pid)) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  /** Stop whatever runs in this state directory; remove the state unless keep. */
  async down(opts: { keep?: boolean; say?: (line: string) => void } = {}): Promise<void> {
    const say = opts.say ?? (() => undefined);
    const status = await this.state.readJson<Status>(this.state.statusFile);
    const pid = status?.supervisorPid;
    if (pid && alive(pid)) {
      say(`stopping the deployment (supervisor pid ${pid})`);
      process.kill(pid, 'SIGTERM');
      if (!(await this.waitExit(pid, 45_000))) {
        say('the supervisor did not stop in time; killing its process group');
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } else if (status) {
      say('no running deployment in this state directory');
    }
    // the supervisor's children share its process group: none may outlive it
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // group empty
      }
    }
    if (opts.keep) {
      say(`state kept in ${this.state.root}`);
      return;
    }
    const layout = await this.state.readJson<Layout>(this.state.layoutFile);
    if (layout?.pgDataDir && !layout.pgDataDir.startsWith(this.state.root)) {
      await rm(join(layout.pgDataDir, '..'), { recursive: true, force: true });
    }
    await rm(this.state.root, { recursive: true, force: true });
    say(`state removed (${this.state.root})`);
  }
}

const LOCAL_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'operator-exec',
  'component-control',
  'service-ports',
  'logs',
  'secrets',
  'database',
]);

export class LocalDeployment implements StartedDeployment {
  readonly kind = 'local' as const;
  readonly capabilities = LOCAL_CAPABILITIES;
  constructor(readonly state: StateDir) {}

  /** The last lines of `<state>/logs/<component>.log`. */
  async logTail(component: string, lines: number): Promise<string[]> {
    if (!/^[a-z0-9-]+$/.test(component)) throw new Error(`bad component name ${component}`);
    return tailOf(this.state.logFile(component), lines);
  }

  /** Every generated secret of the deployment (to prove none of them leaks). */
  async secretValues(): Promise<NamedSecret[]> {
    const out: NamedSecret[] = [];
    for (const name of SECRET_NAMES) {
      const value = (await readFile(this.state.secretFile(name), 'utf8').catch(() => '')).trim();
      if (value) out.push({ name, value });
    }
    out.push(...(await idpSecretValues(this.state.secretsDir)));
    return out;
  }

  async endpoints(): Promise<Endpoints> {
    const e = await this.state.readJson<Endpoints>(this.state.endpointsFile);
    if (!e) throw new DeploymentFailedError(`no endpoints.json in ${this.state.root}`);
    return e;
  }

  async version(): Promise<string> {
    return (await this.endpoints()).version;
  }

  async status(): Promise<Status> {
    return this.control<Status>('GET', '/status');
  }

  /**
   * Operator commands, the way the seed runs them in the api container:
   * `aigos-admin ...`, `npm run cli -- ...`, `npm run db:migrate|db:seed|healthcheck`.
   */
  async exec(argv: string[], opts: { inherit?: boolean } = {}): Promise<ExecResult> {
    const env = await this.state.readJson<Record<string, string>>(this.state.serviceEnvFile);
    if (!env) throw new DeploymentFailedError(`no deployment configuration in ${this.state.root}; is it up?`);
    const [command, args] = resolveOperatorCommand(argv);
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env,
        stdio: opts.inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  async stopComponent(component: Component): Promise<void> {
    await this.control('POST', `/components/${component}/stop`);
  }

  async startComponent(component: Component): Promise<void> {
    await this.control('POST', `/components/${component}/start`);
  }

  down(opts: { keep?: boolean; say?: (line: string) => void } = {}): Promise<void> {
    return new LocalTarget(this.state.root).down(opts);
  }

  private control<T>(method: string, path: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.state.controlSocket, method, path, timeout: 60_000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => {
          const parsed = body ? (JSON.parse(body) as T & { error?: string }) : ({} as T & { error?: string });
          if ((res.statusCode ?? 500) >= 400)
            reject(new Error(parsed.error ?? `control ${method} ${path}: ${res.statusCode}`));
          else resolve(parsed);
        });
      });
      req.on('error', (err) =>
        reject(new Error(`cannot reach the supervisor of ${this.state.root}: ${err.message}`)),
      );
      req.end();
    });
  }
}

/** Map the seed's operator command forms onto the reference's entry points. */
export function resolveOperatorCommand(argv: string[]): [string, string[]] {
  const [first, ...rest] = argv;
  if (!first) throw new Error('no operator command given (e.g. aigos-admin healthcheck)');
  if (first === 'aigos-admin' || first === 'aigos')
    return [process.execPath, [REFERENCE_BIN[first], ...rest]];
  if (first === 'npm' && rest[0] === 'run') {
    const script = rest[1];
    const after = rest.slice(2);
    const args = after[0] === '--' ? after.slice(1) : after;
    if (script === 'cli') return [process.execPath, [REFERENCE_BIN['aigos-admin'], ...args]];
    if (script === 'db:migrate' || script === 'db:seed' || script === 'healthcheck') {
      return [process.execPath, [REFERENCE_BIN['aigos-admin'], script, ...args]];
    }
  }
  return [first, rest];
}
