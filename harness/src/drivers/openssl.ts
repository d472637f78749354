// The openssl command as an observer of X.509 and OCSP (contracts.md §4: "anything
// openssl verify and openssl ocsp accept counts as correct"), with throw-away files.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  code: number;
  /** stdout + stderr: openssl splits its verdicts between them */
  output: string;
  stdout: Buffer;
}

export function openssl(
  args: string[],
  opts: { cwd?: string; signal?: AbortSignal } = {},
): Promise<OpensslResult> {
  return new Promise((resolve) => {
    execFile(
      'openssl',
      args,
      { cwd: opts.cwd, timeout: 30_000, encoding: 'buffer', maxBuffer: 8 << 20, signal: opts.signal },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 127
          : 0;
        resolve({
          code,
          output:
            stdout.toString('utf8') + stderr.toString('utf8') + (err && code === 127 ? err.message : ''),
          stdout,
        });
      },
    );
  });
}

let available: Promise<boolean> | undefined;
/** Whether the openssl command can be run here. */
export function hasOpenssl(): Promise<boolean> {
  available ??= openssl(['version']).then((r) => r.code === 0);
  return available;
}

/** A temporary directory for certificates and OCSP messages; removed by `dispose`. */
export class Scratch {
  private constructor(readonly dir: string) {}
  static async create(): Promise<Scratch> {
    return new Scratch(await mkdtemp(join(tmpdir(), 'aigos-harness-x509-')));
  }
  path(name: string): string {
    return join(this.dir, name);
  }
  async write(name: string, content: string | Buffer): Promise<string> {
    await writeFile(this.path(name), content, { mode: 0o600 });
    return this.path(name);
  }
  dispose(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}
