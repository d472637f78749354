// Shared helpers of the process-level tests: run the compiled CLIs, bring a local
// deployment up in a throw-away state directory and always take it down again, talk
// HTTP without connection pooling, and poll with a deadline.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoints } from '../../harness/src/targets/target.js';
import { LocalDeployment } from '../../harness/src/targets/local/local-target.js';
import { StateDir } from '../../harness/src/targets/local/state.js';
import type { Layout, Status } from '../../harness/src/targets/local/supervisor.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HARNESS_CLI = join(ROOT, 'dist', 'harness', 'src', 'cli.js');
export const AIGOS_CLI = join(ROOT, 'dist', 'reference', 'src', 'cli', 'aigos.js');
export const ADMIN_CLI = join(ROOT, 'dist', 'reference', 'src', 'cli', 'admin.js');

for (const entry of [HARNESS_CLI, AIGOS_CLI, ADMIN_CLI]) {
  if (!existsSync(entry)) throw new Error(`${entry} is missing; build first with npx tsc -p .`);
}

// ---- processes -------------------------------------------------------------------------

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Run a command to completion (killed after timeoutMs) and collect its output. */
export function run(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(command, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

/** `node dist/harness/src/cli.js ...` */
export function harness(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, [HARNESS_CLI, ...args], opts);
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids of live processes in a process group (the supervisor's children share its group). */
export async function processGroupMembers(pgid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,pgid=,stat=']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/** Resolves with the exit of a child, or undefined if it is still running after timeoutMs. */
export function exitOf(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => resolvePromise(undefined), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal });
    });
  });
}

// ---- ports -----------------------------------------------------------------------------

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolvePromise(true)),
    );
  });
}

/** Hold a TCP port on 127.0.0.1 (0 = any free one) until closed. */
export function holdPort(port = 0): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const bound = (server.address() as { port: number }).port;
      resolvePromise({ server, port: bound, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

export async function freePort(): Promise<number> {
  const held = await holdPort(0);
  await held.close();
  return held.port;
}

// ---- HTTP ------------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => unknown;
}

/** One request on its own connection (no keep-alive pool), so each test sees fresh sockets. */
export function http(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: false,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as unknown,
          });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${url} did not answer within ${opts.timeoutMs ?? 10_000} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Call fn every intervalMs until it returns a value other than undefined; throws with
 * the last observation when timeoutMs passes.
 */
export async function pollUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<{ value: T; elapsedMs: number }> {
  const started = Date.now();
  let last = 'nothing observed yet';
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return { value, elapsedMs: Date.now() - started };
      last = 'condition not met';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() - started > opts.timeoutMs) {
      throw new Error(`${what}: not reached within ${opts.timeoutMs} ms (last: ${last})`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

// ---- local deployments -----------------------------------------------------------------

/**
 * A local deployment in its own temporary state directory, brought up with the real
 * `aigos-harness up --target local` and taken down with `aigos-harness down`.
 */
export class TestDeployment {
  private constructor(
    /** The mkdtemp directory holding the state directory. */
    readonly tmp: string,
    readonly stateDir: string,
    readonly up: RunResult,
    readonly endpoints: Endpoints & { stateDir: string },
    readonly handle: LocalDeployment,
  ) {}

  /** Bring a deployment up, or clean up what was started and throw with the harness output. */
  /** `args` are extra `up` options, e.g. ['--without-default-packs']. */
  static async start(opts: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<TestDeployment> {
    const tmp = await mkdtemp(join(tmpdir(), 'aigos-test-'));
    const stateDir = join(tmp, 'state');
    const up = await harness(
      ['up', '--target', 'local', '--state', stateDir, '--json', ...(opts.args ?? [])],
      {
        env: opts.env,
        timeoutMs: 100_000,
      },
    );
    if (up.code !== 0) {
      await TestDeployment.teardown(tmp, stateDir);
      throw new Error(`up failed with code ${up.code}:\n${up.stderr}\n${up.stdout}`);
    }
    const endpoints = JSON.parse(up.stdout) as Endpoints & { stateDir: string };
    return new TestDeployment(tmp, stateDir, up, endpoints, new LocalDeployment(new StateDir(stateDir)));
  }

  get state(): StateDir {
    return this.handle.state;
  }

  status(): Promise<Status> {
    return this.handle.status();
  }

  /** The configuration the services run with (<state>/secrets/service-env.json). */
  async serviceEnv(): Promise<Record<string, string>> {
    return JSON.parse(await readFile(this.state.serviceEnvFile, 'utf8')) as Record<string, string>;
  }

  async layout(): Promise<Layout> {
    return JSON.parse(await readFile(this.state.layoutFile, 'utf8')) as Layout;
  }

  /** Idempotent: `down` (whatever state it is in), then remove the temporary directory. */
  async destroy(): Promise<void> {
    await TestDeployment.teardown(this.tmp, this.stateDir);
  }

  private static async teardown(tmp: string, stateDir: string): Promise<void> {
    const state = new StateDir(stateDir);
    const status = await state.readJson<Status>(state.statusFile);
    const layout = await state.readJson<Layout>(state.layoutFile);
    if (existsSync(stateDir))
      await harness(['down', '--target', 'local', '--state', stateDir], { timeoutMs: 60_000 });
    // belt and braces: nothing of ours may survive a failed test run
    const pid = status?.supervisorPid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (
      layout?.pgDataDir &&
      !layout.pgDataDir.startsWith(tmp) &&
      basename(dirname(layout.pgDataDir)).startsWith('aigos-pg-')
    ) {
      await rm(join(layout.pgDataDir, '..'), { recursive: true, force: true });
    }
    await rm(tmp, { recursive: true, force: true });
  }
}
