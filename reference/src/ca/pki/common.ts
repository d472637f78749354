// Certificate building blocks shared by the CA service and the generator, without
// node-forge (which only `secrets generate` needs): names, the authority key identifier,
// back-dating, and the checks that a certificate belongs to a key and to an issuer.
import { signingKeyFromPem, spkiDer, x509 } from './x509.js';

/** Certificates start slightly in the past so relying parties with a slow clock accept them. */
export const BACKDATE_MS = 5 * 60_000;

export interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

export interface NameSpec {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
}

export function jsonName(n: NameSpec): x509.JsonName {
  const name: x509.JsonName = [];
  if (n.organization) name.push({ O: [n.organization] });
  if (n.organizationalUnit) name.push({ OU: [n.organizationalUnit] });
  name.push({ CN: [n.commonName] });
  return name;
}

/** AKI of certificates an issuer signs: its own SKI when it has one. */
export async function authorityKeyId(
  issuer: x509.X509Certificate,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}

/** Whether `cert` is signed by `issuer` and names it as its issuer. */
export async function isIssuedBy(certPem: string, issuerPem: string): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(certPem);
    const issuer = new x509.X509Certificate(issuerPem);
    if (cert.issuer !== issuer.subject) return false;
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/** Whether the certificate certifies the public half of the private key. */
export async function certMatchesKey(certPem: string, keyPem: string): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(certPem);
    const key = await signingKeyFromPem(keyPem);
    return Buffer.from(cert.publicKey.rawData).equals(spkiDer(key.keyObject));
  } catch {
    return false;
  }
}
