// The one place that loads @peculiar/x509 (after its Reflect polyfill) and binds it to
// Node's WebCrypto, plus key helpers shared by the generator and the running CA.
// Keys are held twice: as a WebCrypto CryptoKey (what @peculiar/x509 signs with) and as
// a Node KeyObject (what OCSP signing uses directly, with DER-encoded ECDSA signatures).
import './reflect-polyfill.js';
import { createHash, createPrivateKey, createPublicKey, type KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

export { x509 };

export type SignatureScheme = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa';

export interface SigningKey {
  keyObject: KeyObject;
  cryptoKey: CryptoKey;
  scheme: SignatureScheme;
  /** What @peculiar/x509 needs as signingAlgorithm. */
  algorithm: webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams;
  /** AlgorithmIdentifier OID of the signatures this key makes. */
  signatureOid: string;
  /** Hash used with node:crypto sign(). */
  hash: 'sha256' | 'sha384';
}

const SCHEMES = {
  'ecdsa-p256': {
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    algorithm: { name: 'ECDSA', hash: 'SHA-256' },
    signatureOid: '1.2.840.10045.4.3.2',
    hash: 'sha256',
  },
  'ecdsa-p384': {
    import: { name: 'ECDSA', namedCurve: 'P-384' },
    algorithm: { name: 'ECDSA', hash: 'SHA-384' },
    signatureOid: '1.2.840.10045.4.3.3',
    hash: 'sha384',
  },
  rsa: {
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    algorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    signatureOid: '1.2.840.113549.1.1.11',
    hash: 'sha256',
  },
} as const;

export function schemeOf(key: KeyObject): SignatureScheme {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'rsa';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return 'ecdsa-p256';
    if (curve === 'secp384r1' || curve === 'P-384') return 'ecdsa-p384';
    throw new Error(`unsupported EC curve ${curve ?? 'unknown'} (P-256 or P-384 expected)`);
  }
  throw new Error(`unsupported key type ${type ?? 'unknown'} (RSA or ECDSA expected)`);
}

/** A private key (PKCS#8, PKCS#1 or SEC1 PEM) ready to sign certificates, CRLs and OCSP responses. */
export async function signingKeyFromPem(pem: string): Promise<SigningKey> {
  const keyObject = createPrivateKey({ key: pem, format: 'pem' });
  return signingKeyFromKeyObject(keyObject);
}

export async function signingKeyFromKeyObject(keyObject: KeyObject): Promise<SigningKey> {
  const scheme = schemeOf(keyObject);
  const s = SCHEMES[scheme];
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const cryptoKey = await webcrypto.subtle.importKey('pkcs8', der, s.import, false, ['sign']);
  return {
    keyObject,
    cryptoKey: cryptoKey as unknown as CryptoKey,
    scheme,
    algorithm: s.algorithm,
    signatureOid: s.signatureOid,
    hash: s.hash,
  };
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** DER SubjectPublicKeyInfo of a private or public key. */
export function spkiDer(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}

export function sha1(data: ArrayBuffer | Uint8Array): Buffer {
  return createHash('sha1').update(new Uint8Array(data)).digest();
}

export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  return x509.PemConverter.encode(new Uint8Array(der).slice().buffer, label) + '\n';
}

export function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}
