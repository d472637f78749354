// The key material the running CA signs with, loaded once at start from files:
// the issuing CA (certificate + key), the delegated OCSP responder (certificate + key)
// and the root certificate (its key can stay offline). Everything is cross-checked at
// load time, so a mismatched file stops the service with a message naming it instead
// of producing certificates nobody can verify.
import { readFile } from 'node:fs/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { certMatchesKey, isIssuedBy } from './common.js';
import { sha1, signingKeyFromPem, type SigningKey, toBuffer, x509 } from './x509.js';

export interface CaPaths {
  rootCert: string;
  issuingCert: string;
  issuingKey: string;
  ocspCert: string;
  ocspKey: string;
}

export interface CaMaterial {
  root: x509.X509Certificate;
  issuing: x509.X509Certificate;
  issuingKey: SigningKey;
  ocsp: x509.X509Certificate;
  /** ASN.1 form of the responder certificate, embedded in every OCSP response. */
  ocspAsn: Certificate;
  issuingAsn: Certificate;
  ocspKey: SigningKey;
  /** SHA-1 of the responder's public key bits (ResponderID byKey). */
  ocspKeyHash: Buffer;
  /** DER of the issuing CA's subject name and its public key bits (OCSP CertID matching). */
  issuerNameDer: Buffer;
  issuerKeyBits: Buffer;
  /** issuing CA then root, PEM. */
  chainPem: string;
  rootPem: string;
  issuingPem: string;
}

export class CaMaterialError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'CaMaterialError';
  }
}

/** The BIT STRING content of a certificate's subjectPublicKey. */
export function publicKeyBits(cert: x509.X509Certificate): Buffer {
  const asn = AsnConvert.parse(cert.rawData, Certificate);
  return toBuffer(asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
}

export async function materialFromPem(pem: {
  rootCert: string;
  issuingCert: string;
  issuingKey: string;
  ocspCert: string;
  ocspKey: string;
}): Promise<CaMaterial> {
  const root = new x509.X509Certificate(pem.rootCert);
  const issuing = new x509.X509Certificate(pem.issuingCert);
  const ocsp = new x509.X509Certificate(pem.ocspCert);
  const issuingKey = await signingKeyFromPem(pem.issuingKey);
  const ocspKey = await signingKeyFromPem(pem.ocspKey);
  const issuingAsn = AsnConvert.parse(issuing.rawData, Certificate);
  const rootPem = root.toString('pem') + '\n';
  const issuingPem = issuing.toString('pem') + '\n';
  return {
    root,
    issuing,
    issuingKey,
    ocsp,
    ocspAsn: AsnConvert.parse(ocsp.rawData, Certificate),
    issuingAsn,
    ocspKey,
    ocspKeyHash: sha1(publicKeyBits(ocsp)),
    issuerNameDer: Buffer.from(AsnConvert.serialize(issuingAsn.tbsCertificate.subject)),
    issuerKeyBits: toBuffer(issuingAsn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
    chainPem: issuingPem + rootPem,
    rootPem,
    issuingPem,
  };
}

type Variable = string;

/** Read and cross-check the files; errors name the configuration variable to fix. */
export async function loadCaMaterial(
  paths: CaPaths,
  vars: Record<keyof CaPaths, Variable>,
): Promise<CaMaterial> {
  const text: Record<string, string> = {};
  for (const k of Object.keys(paths) as (keyof CaPaths)[]) {
    try {
      text[k] = await readFile(paths[k], 'utf8');
    } catch (err) {
      throw new CaMaterialError(
        vars[k],
        `cannot read ${paths[k]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  const check = async (ok: Promise<boolean> | boolean, variable: Variable, message: string) => {
    if (!(await ok)) throw new CaMaterialError(variable, message);
  };
  for (const [k, label] of [
    ['rootCert', 'a PEM certificate'],
    ['issuingCert', 'a PEM certificate'],
    ['ocspCert', 'a PEM certificate'],
  ] as const) {
    try {
      new x509.X509Certificate(text[k]!);
    } catch {
      throw new CaMaterialError(vars[k], `${paths[k]} is not ${label}`);
    }
  }
  for (const k of ['issuingKey', 'ocspKey'] as const) {
    try {
      await signingKeyFromPem(text[k]!);
    } catch (err) {
      throw new CaMaterialError(
        vars[k],
        `${paths[k]} is not a usable private key: ${(err as Error).message}`,
      );
    }
  }
  await check(
    certMatchesKey(text.issuingCert!, text.issuingKey!),
    vars.issuingKey,
    `${paths.issuingKey} does not match the issuing CA certificate ${paths.issuingCert}`,
  );
  await check(
    certMatchesKey(text.ocspCert!, text.ocspKey!),
    vars.ocspKey,
    `${paths.ocspKey} does not match the OCSP responder certificate ${paths.ocspCert}`,
  );
  await check(
    isIssuedBy(text.issuingCert!, text.rootCert!),
    vars.issuingCert,
    `${paths.issuingCert} was not issued by the root ${paths.rootCert}; re-run aigos-admin secrets generate`,
  );
  await check(
    isIssuedBy(text.ocspCert!, text.issuingCert!),
    vars.ocspCert,
    `${paths.ocspCert} was not issued by the issuing CA ${paths.issuingCert}; re-run aigos-admin secrets generate`,
  );
  const material = await materialFromPem(text as Parameters<typeof materialFromPem>[0]);
  const now = Date.now();
  if (material.issuing.notAfter.getTime() <= now)
    throw new CaMaterialError(
      vars.issuingCert,
      `the issuing CA certificate ${paths.issuingCert} has expired`,
    );
  if (material.ocsp.notAfter.getTime() <= now)
    throw new CaMaterialError(
      vars.ocspCert,
      `the OCSP responder certificate ${paths.ocspCert} has expired; aigos-admin secrets generate renews it`,
    );
  return material;
}
