// `aigos-admin secrets generate` (seed-review row 11): the seed's layout, strict file
// modes, idempotent re-runs that never duplicate a variable, refusals instead of silent
// overwrites, --force [--only], and a root key that may live offline. Runs the compiled
// CLI; the RSA-4096 root is generated once for the file.
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, stat, writeFile, chmod, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../reference/src/common/paths.js';
import { caFiles, runNode } from '../../scripts/ca-deployment.js';
import { openssl, opensslOk, Scratch } from './openssl.js';

const ADMIN = join(PACKAGE_ROOT, 'dist', 'reference', 'src', 'cli', 'admin.js');
const generate = (dir: string, ...extra: string[]) =>
  runNode([ADMIN, 'secrets', 'generate', '--dir', dir, ...extra]);

let scratch: Scratch;
let dir: string;
let files: ReturnType<typeof caFiles>;

async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of [
    join(dir, '.env.secrets'),
    ...(await readdir(files.dir + '/secrets/ca')).map((n) => join(dir, 'secrets', 'ca', n)),
  ])
    out[f] = createHash('sha256')
      .update(await readFile(f))
      .digest('hex');
  return out;
}

const mode = async (f: string) => ((await stat(f)).mode & 0o777).toString(8);

function envLines(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const kv = /^([A-Z_]+)=(.*)$/.exec(line);
    if (kv) m.set(kv[1]!, [...(m.get(kv[1]!) ?? []), kv[2]!]);
  }
  return m;
}

beforeAll(async () => {
  scratch = await Scratch.create('aigos-secrets-test-');
  dir = scratch.path('deploy');
  files = caFiles(dir);
  const first = await generate(dir);
  if (first.code !== 0) throw new Error(`secrets generate failed: ${first.stderr}`);
});

afterAll(async () => {
  await scratch?.remove();
});

describe('aigos-admin secrets generate', () => {
  it('writes the seed layout: .env.secrets and secrets/ca with keys 0600 and certificates 0644', async () => {
    expect(await mode(join(dir, '.env.secrets'))).toBe('600');
    for (const key of [files.rootKey, files.issuingKey, files.ocspKey])
      expect(await mode(key), key).toBe('600');
    for (const crt of [files.rootCert, files.issuingCert, files.ocspCert, files.chain])
      expect(await mode(crt), crt).toBe('644');
    const env = envLines(await readFile(join(dir, '.env.secrets'), 'utf8'));
    expect([...env.keys()].sort()).toEqual([
      'DB_PASSWORD',
      'JWT_SECRET',
      'MINIO_ROOT_PASSWORD',
      'REDIS_PASSWORD',
      'SESSION_SECRET',
    ]);
    for (const k of ['DB_PASSWORD', 'REDIS_PASSWORD', 'MINIO_ROOT_PASSWORD'])
      expect(env.get(k)![0]).toMatch(/^[A-Za-z0-9]{32}$/);
    for (const k of ['JWT_SECRET', 'SESSION_SECRET'])
      expect(env.get(k)![0]!.length).toBeGreaterThanOrEqual(64);
  });

  it('makes an RSA-4096 root for ten years, an ECDSA P-256 signing (issuing CA) key and a chain openssl accepts', async () => {
    expect((await opensslOk(['pkey', '-in', files.rootKey, '-noout', '-text'])).stdout).toMatch(/4096 bit/);
    expect((await opensslOk(['pkey', '-in', files.issuingKey, '-noout', '-text'])).stdout).toMatch(
      /NIST CURVE: P-256/,
    );
    const end = (await opensslOk(['x509', '-in', files.rootCert, '-noout', '-enddate'])).stdout;
    const years = (Date.parse(end.replace('notAfter=', '')) - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect((await openssl(['verify', '-CAfile', files.rootCert, files.issuingCert])).all).toContain(': OK');
    expect(
      (await openssl(['verify', '-CAfile', files.rootCert, '-untrusted', files.issuingCert, files.ocspCert]))
        .all,
    ).toContain(': OK');
    expect(
      (await openssl(['verify', '-CAfile', files.rootCert, '-untrusted', files.chain, files.ocspCert])).all,
    ).toContain(': OK');
  });

  it('is idempotent: a re-run keeps every file byte for byte', async () => {
    const before = await snapshot();
    const again = await generate(dir, '--json');
    expect(again.code, again.stderr).toBe(0);
    const result = JSON.parse(again.stdout) as {
      items: { outcome: string }[];
      caEnv: Record<string, string>;
    };
    expect(result.items.every((i) => i.outcome === 'kept')).toBe(true);
    expect(result.caEnv.SIGNING_KEY_PATH).toBe(files.issuingKey);
    expect(await snapshot()).toEqual(before);
  });

  it('adds only missing variables, keeps the operator lines, and never duplicates a key', async () => {
    const envFile = join(dir, '.env.secrets');
    const original = await readFile(envFile, 'utf8');
    const withoutJwt = original
      .split('\n')
      .filter((l) => !l.startsWith('JWT_SECRET='))
      .join('\n');
    await writeFile(envFile, `# operator note\n${withoutJwt}OPERATOR_EXTRA=keep-me\n`);
    const r = await generate(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/added JWT_SECRET/);
    const text = await readFile(envFile, 'utf8');
    const env = envLines(text);
    for (const [k, v] of env) expect(v.length, k).toBe(1);
    expect(env.get('OPERATOR_EXTRA')).toEqual(['keep-me']);
    expect(text).toContain('# operator note');
    expect(envLines(original).get('DB_PASSWORD')).toEqual(env.get('DB_PASSWORD'));
    expect(await mode(envFile)).toBe('600');
  });

  it('refuses a file that already defines a variable twice (the seed script appends with >>)', async () => {
    const envFile = join(dir, '.env.secrets');
    const before = await readFile(envFile, 'utf8');
    await writeFile(envFile, `${before}DB_PASSWORD=appended-by-a-second-run\n`);
    const r = await generate(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/defines DB_PASSWORD more than once/);
    expect(r.stderr).toMatch(/--force --only env/);
    const forced = await generate(dir, '--force', '--only', 'env');
    expect(forced.code, forced.stderr).toBe(0);
    const env = envLines(await readFile(envFile, 'utf8'));
    expect(env.get('DB_PASSWORD')!.length).toBe(1);
    expect(env.get('DB_PASSWORD')![0]).not.toBe('appended-by-a-second-run');
  });

  it('puts wrong file modes right', async () => {
    await chmod(files.issuingKey, 0o644);
    await chmod(files.rootCert, 0o600);
    const r = await generate(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await mode(files.issuingKey)).toBe('600');
    expect(await mode(files.rootCert)).toBe('644');
  });

  it('replaces only what --force --only names, and wants --force for --only', async () => {
    expect((await generate(dir, '--only', 'ocsp')).stderr).toMatch(/add --force/);
    const before = await snapshot();
    const r = await generate(dir, '--force', '--only', 'ocsp');
    expect(r.code, r.stderr).toBe(0);
    const after = await snapshot();
    for (const f of Object.keys(before)) {
      const changed = before[f] !== after[f];
      expect(changed, f).toBe(f === files.ocspKey || f === files.ocspCert);
    }
    expect(
      (await openssl(['verify', '-CAfile', files.rootCert, '-untrusted', files.issuingCert, files.ocspCert]))
        .all,
    ).toContain(': OK');
  });

  it('refuses a certificate that does not belong to its key instead of overwriting it', async () => {
    const saved = scratch.path('signing.crt.saved');
    await copyFile(files.issuingCert, saved);
    await copyFile(files.ocspCert, files.issuingCert);
    const r = await generate(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/signing\.crt does not match .*signing\.key/);
    expect(r.stderr).toMatch(/--force --only issuing/);
    await copyFile(saved, files.issuingCert);
  });

  it('works with the root key offline, and asks for it only to re-issue the issuing CA', async () => {
    const offline = scratch.path('ca-root.key.offline');
    await rename(files.rootKey, offline);
    const kept = await generate(dir, '--json');
    expect(kept.code, kept.stderr).toBe(0);
    const items = (JSON.parse(kept.stdout) as { items: { path: string; outcome: string }[] }).items;
    expect(items.find((i) => i.path === files.rootKey)?.outcome).toBe('offline');

    const issuingBefore = await readFile(files.issuingCert, 'utf8');
    await rename(files.issuingCert, scratch.path('gone.crt'));
    const needsRoot = await generate(dir);
    expect(needsRoot.code).toBe(1);
    expect(needsRoot.stderr).toMatch(/root key .*ca-root\.key is not present/);

    await rename(offline, files.rootKey);
    const reissued = await generate(dir);
    expect(reissued.code, reissued.stderr).toBe(0);
    expect(reissued.stdout).toMatch(/re-issued +.*signing\.crt/);
    expect(await readFile(files.issuingCert, 'utf8')).not.toBe(issuingBefore);
    // same key and name: the OCSP certificate it signed still chains
    expect(
      (await openssl(['verify', '-CAfile', files.rootCert, '-untrusted', files.issuingCert, files.ocspCert]))
        .all,
    ).toContain(': OK');
  });
});
