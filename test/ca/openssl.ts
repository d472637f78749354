// Helpers of the CA tests: run the openssl CLI (the judge of correctness, contracts.md
// §4), and write throw-away files.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Out {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr: openssl splits its verdicts between them */
  all: string;
}

export function openssl(args: string[], opts: { input?: Buffer | string; cwd?: string } = {}): Promise<Out> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      args,
      { cwd: opts.cwd, timeout: 30_000, encoding: 'buffer', maxBuffer: 8 << 20 },
      (err, stdout, stderr) => {
        const out = stdout.toString('utf8');
        const errText = stderr.toString('utf8');
        resolve({
          code: err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0,
          stdout: out,
          stderr: errText,
          all: out + errText,
        });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** openssl, expecting success; the error names the command and its output. */
export async function opensslOk(
  args: string[],
  opts: { input?: Buffer | string; cwd?: string } = {},
): Promise<Out> {
  const r = await openssl(args, opts);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}):\n${r.all}`);
  return r;
}

export class Scratch {
  private constructor(readonly dir: string) {}
  static async create(prefix = 'aigos-ca-test-'): Promise<Scratch> {
    return new Scratch(await mkdtemp(join(tmpdir(), prefix)));
  }
  path(name: string): string {
    return join(this.dir, name);
  }
  async write(name: string, content: string | Buffer): Promise<string> {
    await writeFile(this.path(name), content);
    return this.path(name);
  }
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A new key and CSR made by openssl: `-newkey ec -pkeyopt ec_paramgen_curve:P-256`, `rsa:2048`, `ed25519`... */
export async function opensslCsr(
  scratch: Scratch,
  name: string,
  newkey: string[],
  opts: { san?: string; subject?: string } = {},
): Promise<{ csrPem: string; keyFile: string; csrFile: string }> {
  const keyFile = scratch.path(`${name}.key`);
  const csrFile = scratch.path(`${name}.csr`);
  await opensslOk([
    'req',
    '-new',
    ...newkey,
    '-nodes',
    '-keyout',
    keyFile,
    '-subj',
    opts.subject ?? `/CN=${name}`,
    ...(opts.san ? ['-addext', `subjectAltName=${opts.san}`] : []),
    '-out',
    csrFile,
  ]);
  const { readFile } = await import('node:fs/promises');
  return { csrPem: await readFile(csrFile, 'utf8'), keyFile, csrFile };
}
