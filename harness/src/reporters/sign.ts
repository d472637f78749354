// Signing of report.json: a detached JWS (ES256) over the file's exact bytes, written
// to report.json.sig. The harness key (EC P-256, PKCS#8 PEM) is generated on first use
// outside the report folder, mode 0600: $AIGOS_HARNESS_KEY, or
// ~/.config/aigos-harness/signing-key.pem. The signature's protected header carries the
// public key (jwk) and its RFC 7638 thumbprint (kid), so anyone can check integrity with
// the embedded key, and authenticity by comparing the thumbprint or passing --key.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { base64url, calculateJwkThumbprint, CompactSign, compactVerify, exportJWK, type JWK } from 'jose';

interface ProtectedHeader {
  alg?: string;
  kid?: string;
  jwk?: JWK;
  typ?: string;
}

export const SIGNATURE_TYPE = 'aigos-report+jws';

export function defaultKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AIGOS_HARNESS_KEY) return resolve(env.AIGOS_HARNESS_KEY);
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'aigos-harness', 'signing-key.pem');
}

export interface SigningKey {
  path: string;
  privateKey: KeyObject;
  publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key. */
  kid: string;
  created: boolean;
}

async function publicJwkOf(key: KeyObject): Promise<{ jwk: JWK; kid: string }> {
  const full = await exportJWK(key.type === 'public' ? key : createPublicKey(key));
  const jwk: JWK = { kty: full.kty, crv: full.crv, x: full.x, y: full.y };
  return { jwk, kid: await calculateJwkThumbprint(jwk, 'sha256') };
}

function inside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Load the harness key, generating it (0600, in a 0700 directory) when missing. Refuses
 * a key inside `notInside` (the report folder: a key published with the report signs nothing).
 */
export async function loadOrCreateSigningKey(
  opts: { path?: string; notInside?: string; warn?: (line: string) => void } = {},
): Promise<SigningKey> {
  const path = resolve(opts.path ?? defaultKeyPath());
  if (opts.notInside && inside(path, opts.notInside))
    throw new Error(`the signing key ${path} must not live inside the report folder ${opts.notInside}`);
  let created = false;
  if (!existsSync(path)) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    try {
      await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (err) {
      // another run created it first: use theirs
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) {
    opts.warn?.(
      `aigos-harness: signing key ${path} was readable by others (mode ${mode.toString(8)}); set to 0600`,
    );
    await chmod(path, 0o600);
  }
  const privateKey = createPrivateKey(await readFile(path, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error(`the signing key ${path} is not an EC P-256 key (ES256 needs one)`);
  const { jwk, kid } = await publicJwkOf(privateKey);
  return { path, privateKey, publicJwk: jwk, kid, created };
}

/** Detached compact JWS (`<protected>..<signature>`) over the exact bytes. */
export async function signDetached(
  payload: Uint8Array,
  key: SigningKey,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const jws = await new CompactSign(payload)
    .setProtectedHeader({ alg: 'ES256', typ: SIGNATURE_TYPE, kid: key.kid, jwk: key.publicJwk, ...extra })
    .sign(key.privateKey);
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

/** A trusted key from a file: a PEM public or private key, or a JWK (JSON). */
export async function loadTrustedKey(file: string): Promise<{ key: KeyObject; kid: string }> {
  const text = (await readFile(file, 'utf8')).trim();
  let key: KeyObject;
  if (text.startsWith('{'))
    key = createPublicKey({ key: JSON.parse(text) as JWK & { kty: string }, format: 'jwk' });
  else if (/PRIVATE KEY/.test(text)) key = createPublicKey(createPrivateKey(text));
  else key = createPublicKey(text);
  const { kid } = await publicJwkOf(key);
  return { key, kid };
}

export interface SignatureCheck {
  ok: boolean;
  kid?: string;
  /** True when checked against a key given by the caller (not only the embedded one). */
  trusted: boolean;
  message: string;
}

export async function verifyDetached(
  payload: Uint8Array,
  detached: string,
  trusted?: { key: KeyObject; kid: string },
): Promise<SignatureCheck> {
  const parts = detached.trim().split('.');
  if (parts.length !== 3 || parts[1] !== '')
    return {
      ok: false,
      trusted: false,
      message: 'the signature file is not a detached compact JWS (<header>..<signature>)',
    };
  let header: ProtectedHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(base64url.decode(parts[0]!))) as ProtectedHeader;
  } catch {
    return { ok: false, trusted: false, message: 'the signature header cannot be decoded' };
  }
  if (header.alg !== 'ES256')
    return { ok: false, trusted: false, message: `unexpected algorithm ${String(header.alg)} (want ES256)` };
  const embedded = header.jwk;
  let key: KeyObject;
  let kid: string;
  if (trusted) {
    key = trusted.key;
    kid = trusted.kid;
    if (header.kid && header.kid !== trusted.kid)
      return {
        ok: false,
        kid: header.kid,
        trusted: true,
        message: `signed by key ${header.kid}, not by the trusted key ${trusted.kid}`,
      };
  } else {
    if (!embedded)
      return {
        ok: false,
        trusted: false,
        message: 'no embedded public key in the signature and no --key given',
      };
    key = createPublicKey({ key: embedded as JWK & { kty: string }, format: 'jwk' });
    kid = await calculateJwkThumbprint(embedded, 'sha256');
    if (header.kid && header.kid !== kid)
      return {
        ok: false,
        kid,
        trusted: false,
        message: `the embedded key's thumbprint ${kid} does not match kid ${header.kid}`,
      };
  }
  try {
    await compactVerify(`${parts[0]}.${base64url.encode(payload)}.${parts[2]}`, key, {
      algorithms: ['ES256'],
    });
  } catch (err) {
    return {
      ok: false,
      kid,
      trusted: Boolean(trusted),
      message: `signature does not match report.json (the file changed after signing, or the signature is not for it): ${(err as Error).message}`,
    };
  }
  return { ok: true, kid, trusted: Boolean(trusted), message: `valid ES256 signature by key ${kid}` };
}
