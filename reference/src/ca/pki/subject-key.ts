// The public key a CGA certificate will certify: from a CSR (whose signature proves the
// requester holds the private key) or from a bare SubjectPublicKeyInfo. Weak or odd keys
// are refused before anything is signed or stored.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ASSET_URI } from './cga.js';
import { x509 } from './x509.js';

export class BadKeyMaterial extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BadKeyMaterial';
  }
}

export type KeyKind = 'rsa' | 'ec' | 'ed25519';

export interface SubjectKey {
  spki: Buffer;
  kind: KeyKind;
  /** e.g. "RSA 3072", "EC P-256", "Ed25519" */
  description: string;
}

export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const MAX_PEM_CHARS = 16_384;

/** Accept or refuse a public key by type and strength. */
export function checkKey(key: KeyObject): SubjectKey {
  const spki = key.export({ type: 'spki', format: 'der' });
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS)
        throw new BadKeyMaterial(
          'WEAK_KEY',
          `RSA key of ${bits} bits is too weak; at least ${MIN_RSA_BITS} bits are required`,
        );
      if (bits > MAX_RSA_BITS)
        throw new BadKeyMaterial(
          'UNSUPPORTED_KEY',
          `RSA key of ${bits} bits is larger than the ${MAX_RSA_BITS} bits supported`,
        );
      const e = key.asymmetricKeyDetails?.publicExponent;
      if (e !== undefined && e < 65537n)
        throw new BadKeyMaterial(
          'WEAK_KEY',
          `RSA public exponent ${e} is too small; 65537 or more is required`,
        );
      return { spki, kind: 'rsa', description: `RSA ${bits}` };
    }
    case 'ec': {
      const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!curve)
        throw new BadKeyMaterial(
          'UNSUPPORTED_KEY',
          `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'} is not accepted; use P-256, P-384 or P-521`,
        );
      return { spki, kind: 'ec', description: `EC ${curve}` };
    }
    case 'ed25519':
      return { spki, kind: 'ed25519', description: 'Ed25519' };
    default:
      throw new BadKeyMaterial(
        'UNSUPPORTED_KEY',
        `${key.asymmetricKeyType ?? 'unknown'} keys are not accepted; use RSA (2048+), ECDSA (P-256/P-384/P-521) or Ed25519`,
      );
  }
}

/** A SubjectPublicKeyInfo in PEM ("PUBLIC KEY"). */
export function publicKeyFromPem(pem: string): SubjectKey {
  if (pem.length > MAX_PEM_CHARS)
    throw new BadKeyMaterial('MALFORMED_PUBLIC_KEY', 'public key PEM is too long');
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem))
    throw new BadKeyMaterial(
      'MALFORMED_PUBLIC_KEY',
      'publicKey must be a PEM "PUBLIC KEY" (SubjectPublicKeyInfo)',
    );
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new BadKeyMaterial(
      'MALFORMED_PUBLIC_KEY',
      `publicKey is not a valid public key: ${(err as Error).message}`,
    );
  }
  return checkKey(key);
}

export interface ParsedCsr {
  key: SubjectKey;
  /** asset card id from a urn:aigos:asset:<id> SAN URI in the CSR's extension request, if any */
  assetId?: string;
  subject: string;
}

/** A PKCS#10 request in PEM: parsed, its signature checked, its key judged. */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  if (pem.length > MAX_PEM_CHARS) throw new BadKeyMaterial('MALFORMED_CSR', 'CSR PEM is too long');
  if (!/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(pem))
    throw new BadKeyMaterial('MALFORMED_CSR', 'csr must be a PEM "CERTIFICATE REQUEST"');
  let csr: x509.Pkcs10CertificateRequest;
  let key: KeyObject;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST'));
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (err) {
    throw new BadKeyMaterial('MALFORMED_CSR', `csr could not be parsed: ${(err as Error).message}`);
  }
  const checked = checkKey(key);
  let signatureOk = false;
  try {
    signatureOk = await csr.verify();
  } catch {
    signatureOk = false;
  }
  if (!signatureOk)
    throw new BadKeyMaterial(
      'CSR_SIGNATURE_INVALID',
      'the CSR signature does not verify with its own public key',
    );
  let assetId: string | undefined;
  try {
    const san = csr.extensions.find((e) => e instanceof x509.SubjectAlternativeNameExtension);
    for (const n of (san as x509.SubjectAlternativeNameExtension | undefined)?.names.items ?? []) {
      const m = n.type === 'url' ? ASSET_URI.exec(n.value) : null;
      if (m) assetId = m[1]!;
    }
  } catch {
    // an unreadable SAN in a CSR is not fatal: the asset may come from the request body
  }
  return { key: checked, assetId, subject: csr.subject };
}
