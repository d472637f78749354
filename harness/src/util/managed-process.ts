// A child process whose output goes to a log file, whose last lines are kept for error
// reports, and which can be stopped with a grace period.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Lines kept in memory for failure reports. */
  tailLines?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private readonly tail: string[] = [];
  private readonly log: WriteStream;
  private partial = '';
  private stopping = false;
  exitInfo: ExitInfo | undefined;

  constructor(readonly opts: ManagedProcessOptions) {
    this.log = createWriteStream(opts.logFile, { flags: 'a', mode: 0o600 });
    this.child = spawn(opts.command, opts.args, {
      env: opts.env,
      cwd: opts.cwd,
      uid: opts.uid,
      gid: opts.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer) => {
      this.log.write(chunk);
      this.remember(chunk.toString('utf8'));
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('error', (err) => {
        this.remember(`spawn failed: ${err.message}\n`);
        this.exitInfo = { code: 127, signal: null };
        resolve(this.exitInfo);
      });
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    }).then((info) => new Promise<ExitInfo>((r) => this.log.end(() => r(info))));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True when the exit was not asked for by stop(). */
  get unexpectedExit(): boolean {
    return this.exitInfo !== undefined && !this.stopping;
  }

  lastLines(n = 20): string[] {
    const lines = this.partial ? [...this.tail, this.partial] : [...this.tail];
    return lines.slice(-n);
  }

  private remember(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.tail.push(...parts.filter((l) => l.length > 0));
    const max = this.opts.tailLines ?? 50;
    if (this.tail.length > max) this.tail.splice(0, this.tail.length - max);
  }

  /** Signal, wait up to graceMs, then SIGKILL. Resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ExitInfo> {
    this.stopping = true;
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }
}
