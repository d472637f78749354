// `aigos-admin secrets generate`: the deployment's secrets in the layout the seed's
// compose file and Kubernetes secrets expect, made idempotent (seed-review row 11).
//
//   <dir>/.env.secrets              DB_PASSWORD, REDIS_PASSWORD, MINIO_ROOT_PASSWORD,
//                                   JWT_SECRET, SESSION_SECRET (one line each, 0600)
//   <dir>/secrets/ca/ca-root.key    RSA 4096 root key (0600) -- may be moved offline
//   <dir>/secrets/ca/ca-root.crt    self-signed root, 10 years (0644)
//   <dir>/secrets/ca/signing.key    ECDSA P-256 issuing CA key the CA service signs with (0600)
//   <dir>/secrets/ca/signing.crt    issuing CA certificate, signed by the root, pathlen 0 (0644)
//   <dir>/secrets/ca/ocsp.key       ECDSA P-256 key of the delegated OCSP responder (0600)
//   <dir>/secrets/ca/ocsp.crt       OCSP signing certificate, signed by the issuing CA (0644)
//   <dir>/secrets/ca/ca-chain.crt   signing.crt then ca-root.crt (0644)
//
// Re-running keeps everything that exists (never a second copy of a variable, never a
// new key over an old one) and only fills in what is missing. --force replaces (with
// --only, just the named items). Certificates derived from a key that was replaced in
// the same run are re-issued; the OCSP certificate is also renewed when it expires
// within 30 days (the issuing key is online, the root key is not needed for that).
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  certMatchesKey,
  generateEcKeyPem,
  generateRsaKeyPem,
  isIssuedBy,
  issueIssuingCa,
  issueOcspResponder,
  type NameSpec,
  selfSignRoot,
} from './pki/authority.js';
import { x509 } from './pki/x509.js';

export const ENV_SECRETS = [
  'DB_PASSWORD',
  'REDIS_PASSWORD',
  'MINIO_ROOT_PASSWORD',
  'JWT_SECRET',
  'SESSION_SECRET',
] as const;
export const ITEMS = ['env', 'root', 'issuing', 'ocsp'] as const;
export type Item = (typeof ITEMS)[number];

export const CA_FILES = {
  rootKey: 'ca-root.key',
  rootCert: 'ca-root.crt',
  issuingKey: 'signing.key',
  issuingCert: 'signing.crt',
  ocspKey: 'ocsp.key',
  ocspCert: 'ocsp.crt',
  chain: 'ca-chain.crt',
} as const;

export interface ProvisionOptions {
  dir: string;
  force?: boolean;
  /** With force: replace only these items (default: all). */
  only?: Item[];
  organization?: string;
  rootName?: string;
  issuerName?: string;
  /** Test hook: smaller root keys generate faster. Never below 2048. */
  rootBits?: number;
  rootValidityDays?: number;
  issuingValidityDays?: number;
  ocspValidityDays?: number;
}

export type Outcome = 'created' | 'kept' | 'replaced' | 're-issued' | 'renewed' | 'offline';

export interface ProvisionResult {
  dir: string;
  envFile: string;
  caDir: string;
  items: { path: string; outcome: Outcome; note?: string }[];
}

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

const RENEW_BEFORE_MS = 30 * 86_400_000;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 characters from [A-Za-z0-9], uniformly (the seed's password alphabet, without its bias). */
export function password(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

function envValue(name: (typeof ENV_SECRETS)[number]): string {
  // 512-bit secrets for tokens and sessions (seed: openssl rand -base64 64), URL-safe
  return name === 'JWT_SECRET' || name === 'SESSION_SECRET'
    ? randomBytes(64).toString('base64url')
    : password();
}

interface EnvLine {
  key?: string;
  raw: string;
}

function parseEnv(text: string): EnvLine[] {
  return text
    .split('\n')
    .filter((l, i, all) => !(i === all.length - 1 && l === ''))
    .map((raw) => {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(raw);
      return m ? { key: m[1], raw } : { raw };
    });
}

async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode, flag: 'wx' });
  await chmod(tmp, mode); // the umask must not widen or narrow it
  await rename(tmp, path);
}

/** New file only: refuses to clobber something that appeared meanwhile. */
async function writeNew(path: string, content: string, mode: number): Promise<void> {
  await writeFile(path, content, { mode, flag: 'wx' });
  await chmod(path, mode);
}

async function ensureMode(path: string, mode: number): Promise<boolean> {
  const s = await stat(path);
  if ((s.mode & 0o777) === mode) return false;
  await chmod(path, mode);
  return true;
}

export async function provisionSecrets(opts: ProvisionOptions): Promise<ProvisionResult> {
  const dir = resolve(opts.dir);
  const caDir = join(dir, 'secrets', 'ca');
  const envFile = join(dir, '.env.secrets');
  const replace = (item: Item) =>
    !!opts.force && (!opts.only || opts.only.length === 0 || opts.only.includes(item));
  const result: ProvisionResult = { dir, envFile, caDir, items: [] };
  // one entry per file: a later note about the same file (a mode fix) joins the first
  const record = (path: string, outcome: Outcome, note?: string) => {
    const prior = result.items.find((i) => i.path === path);
    if (!prior) result.items.push({ path, outcome, ...(note ? { note } : {}) });
    else if (note) prior.note = prior.note ? `${prior.note}; ${note}` : note;
  };

  await mkdir(dir, { recursive: true });
  await mkdir(caDir, { recursive: true, mode: 0o700 });
  await chmod(join(dir, 'secrets'), 0o700);
  await chmod(caDir, 0o700);

  await provisionEnv(envFile, replace('env'), record);
  await provisionCa(caDir, opts, replace, record);
  return result;
}

async function provisionEnv(
  envFile: string,
  replace: boolean,
  record: (path: string, outcome: Outcome, note?: string) => void,
): Promise<void> {
  if (!existsSync(envFile) || replace) {
    const existed = existsSync(envFile);
    const body = ENV_SECRETS.map((k) => `${k}=${envValue(k)}`).join('\n') + '\n';
    await writeAtomic(envFile, body, 0o600);
    record(envFile, existed ? 'replaced' : 'created', ENV_SECRETS.join(', '));
    return;
  }
  const lines = parseEnv(await readFile(envFile, 'utf8'));
  const seen = new Map<string, number>();
  for (const l of lines) if (l.key) seen.set(l.key, (seen.get(l.key) ?? 0) + 1);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  if (duplicated.length > 0) {
    throw new ProvisionError(
      `${envFile} defines ${duplicated.join(', ')} more than once (the last one wins silently); ` +
        `remove the extra lines, or re-run with --force --only env to write a fresh file`,
    );
  }
  const missing = ENV_SECRETS.filter((k) => !seen.has(k));
  const fixedMode = await ensureMode(envFile, 0o600);
  if (missing.length === 0) {
    record(envFile, 'kept', fixedMode ? 'mode set to 0600' : undefined);
    return;
  }
  const body = [...lines.map((l) => l.raw), ...missing.map((k) => `${k}=${envValue(k)}`)].join('\n') + '\n';
  await writeAtomic(envFile, body, 0o600);
  record(envFile, 'kept', `added ${missing.join(', ')}`);
}

async function provisionCa(
  caDir: string,
  opts: ProvisionOptions,
  replace: (item: Item) => boolean,
  record: (path: string, outcome: Outcome, note?: string) => void,
): Promise<void> {
  const p = (f: keyof typeof CA_FILES) => join(caDir, CA_FILES[f]);
  const has = (f: keyof typeof CA_FILES) => existsSync(p(f));
  const read = (f: keyof typeof CA_FILES) => readFile(p(f), 'utf8');
  const organization = opts.organization ?? 'AIGOS';
  const rootName: NameSpec = {
    commonName: opts.rootName ?? 'AIGOS Root CA',
    organization,
    organizationalUnit: 'AI Governance',
  };
  const issuerName: NameSpec = { commonName: opts.issuerName ?? 'AIGOS CA', organization };
  const ocspName: NameSpec = { commonName: `${issuerName.commonName} OCSP Responder`, organization };
  const put = async (f: keyof typeof CA_FILES, content: string, mode: number) => {
    if (has(f)) await writeAtomic(p(f), content, mode);
    else await writeNew(p(f), content, mode);
  };

  // ---- root --------------------------------------------------------------------------
  let rootChanged = false;
  if (replace('root') || (!has('rootKey') && !has('rootCert'))) {
    const existed = has('rootCert');
    const keyPem = await generateRsaKeyPem(Math.max(2048, opts.rootBits ?? 4096));
    await put('rootKey', keyPem, 0o600);
    await put('rootCert', selfSignRoot(keyPem, rootName, opts.rootValidityDays ?? 3650), 0o644);
    record(p('rootKey'), existed ? 'replaced' : 'created', `RSA ${Math.max(2048, opts.rootBits ?? 4096)}`);
    record(p('rootCert'), existed ? 'replaced' : 'created', `${opts.rootValidityDays ?? 3650} days`);
    rootChanged = true;
  } else if (!has('rootCert')) {
    await put(
      'rootCert',
      selfSignRoot(await read('rootKey'), rootName, opts.rootValidityDays ?? 3650),
      0o644,
    );
    record(p('rootKey'), 'kept');
    record(p('rootCert'), 'created', 'from the existing root key');
    rootChanged = true;
  } else if (has('rootKey')) {
    if (!(await certMatchesKey(await read('rootCert'), await read('rootKey'))))
      throw new ProvisionError(
        `${p('rootCert')} does not belong to ${p('rootKey')}; restore the matching pair, or re-run with --force --only root (this re-roots the CA: every issued certificate stops verifying)`,
      );
    record(p('rootKey'), 'kept');
    record(p('rootCert'), 'kept');
  } else {
    record(p('rootCert'), 'kept');
    record(
      p('rootKey'),
      'offline',
      'root key not present (kept offline); only needed to re-issue the issuing CA',
    );
  }
  const rootCert = await read('rootCert');
  const rootKey = async () => {
    if (!has('rootKey'))
      throw new ProvisionError(
        `the issuing CA certificate must be (re-)issued but the root key ${p('rootKey')} is not present; put it back temporarily and re-run`,
      );
    return read('rootKey');
  };

  // ---- issuing CA (the seed's signing.key) -------------------------------------------
  let issuingChanged = false;
  if (replace('issuing') || (!has('issuingKey') && !has('issuingCert'))) {
    const existed = has('issuingKey');
    const keyPem = generateEcKeyPem();
    const certPem = await issueIssuingCa({
      root: { keyPem: await rootKey(), certPem: rootCert },
      subjectKeyPem: keyPem,
      name: issuerName,
      validityDays: opts.issuingValidityDays,
    });
    await put('issuingKey', keyPem, 0o600);
    await put('issuingCert', certPem, 0o644);
    record(p('issuingKey'), existed ? 'replaced' : 'created', 'ECDSA P-256');
    record(p('issuingCert'), existed ? 'replaced' : 'created', 'signed by the root');
    issuingChanged = true;
  } else if (!has('issuingKey')) {
    throw new ProvisionError(
      `${p('issuingCert')} exists but its key ${p('issuingKey')} is missing; restore it, or re-run with --force --only issuing`,
    );
  } else {
    const keyPem = await read('issuingKey');
    const certOk =
      has('issuingCert') &&
      (await certMatchesKey(await read('issuingCert'), keyPem)) &&
      (await isIssuedBy(await read('issuingCert'), rootCert));
    if (!certOk && has('issuingCert') && !rootChanged)
      throw new ProvisionError(
        `${p('issuingCert')} does not match ${p('issuingKey')} or was not issued by ${p('rootCert')}; re-run with --force --only issuing`,
      );
    if (!certOk) {
      const certPem = await issueIssuingCa({
        root: { keyPem: await rootKey(), certPem: rootCert },
        subjectKeyPem: keyPem,
        name: issuerName,
        validityDays: opts.issuingValidityDays,
      });
      await put('issuingCert', certPem, 0o644);
      record(p('issuingKey'), 'kept');
      record(p('issuingCert'), 're-issued', rootChanged ? 'the root changed' : 'was missing');
      issuingChanged = true;
    } else {
      record(p('issuingKey'), 'kept');
      record(p('issuingCert'), 'kept');
    }
  }
  const issuing = { keyPem: await read('issuingKey'), certPem: await read('issuingCert') };

  // ---- delegated OCSP responder -------------------------------------------------------
  if (replace('ocsp') || (!has('ocspKey') && !has('ocspCert'))) {
    const existed = has('ocspKey');
    const keyPem = generateEcKeyPem();
    const certPem = await issueOcspResponder({
      issuing,
      subjectKeyPem: keyPem,
      name: ocspName,
      validityDays: opts.ocspValidityDays,
    });
    await put('ocspKey', keyPem, 0o600);
    await put('ocspCert', certPem, 0o644);
    record(p('ocspKey'), existed ? 'replaced' : 'created', 'ECDSA P-256');
    record(p('ocspCert'), existed ? 'replaced' : 'created', 'signed by the issuing CA; id-kp-OCSPSigning');
  } else if (!has('ocspKey')) {
    throw new ProvisionError(
      `${p('ocspCert')} exists but its key ${p('ocspKey')} is missing; re-run with --force --only ocsp`,
    );
  } else {
    const keyPem = await read('ocspKey');
    let why: string | undefined;
    if (!has('ocspCert')) why = 'was missing';
    else if (!(await certMatchesKey(await read('ocspCert'), keyPem))) why = 'did not match ocsp.key';
    else if (!(await isIssuedBy(await read('ocspCert'), issuing.certPem)))
      why = issuingChanged ? 'the issuing CA changed' : 'was not issued by the issuing CA';
    else if (
      new x509.X509Certificate(await read('ocspCert')).notAfter.getTime() - Date.now() <
      RENEW_BEFORE_MS
    )
      why = 'expires within 30 days';
    if (why) {
      const certPem = await issueOcspResponder({
        issuing,
        subjectKeyPem: keyPem,
        name: ocspName,
        validityDays: opts.ocspValidityDays,
      });
      await put('ocspCert', certPem, 0o644);
      record(p('ocspKey'), 'kept');
      record(p('ocspCert'), why === 'expires within 30 days' ? 'renewed' : 're-issued', why);
    } else {
      record(p('ocspKey'), 'kept');
      record(p('ocspCert'), 'kept');
    }
  }

  // ---- chain (derived) and modes -----------------------------------------------------
  const chain = issuing.certPem.trimEnd() + '\n' + rootCert.trimEnd() + '\n';
  if (!has('chain') || (await read('chain')) !== chain) {
    const existed = has('chain');
    await put('chain', chain, 0o644);
    record(p('chain'), existed ? 're-issued' : 'created', 'signing.crt + ca-root.crt');
  } else record(p('chain'), 'kept');

  for (const f of Object.keys(CA_FILES) as (keyof typeof CA_FILES)[]) {
    if (!has(f)) continue;
    const mode = f.endsWith('Key') ? 0o600 : 0o644;
    if (await ensureMode(p(f), mode)) record(p(f), 'kept', `mode set to 0${mode.toString(8)}`);
  }
}
