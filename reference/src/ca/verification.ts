// Verifying a certificate someone presents: issued by this CA (signature and issuer
// name), the chain up to the root, within its validity, known to this CA and not revoked.
import type pg from 'pg';
import { HttpError } from '../common/errors.js';
import { type CgaClaims, claimsFromUris } from './pki/cga.js';
import type { CaMaterial } from './pki/material.js';
import { normalizeSerial } from './pki/serial.js';
import { x509 } from './pki/x509.js';
import { statusBySerials } from './repository.js';

export interface VerifyResult {
  valid: boolean;
  serial: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  status: 'good' | 'revoked' | 'unknown';
  revocation?: { revokedAt: string; reason: string };
  checks: {
    issuedByThisCa: boolean;
    chain: boolean;
    timeValid: boolean;
    knownToCa: boolean;
    notRevoked: boolean;
  };
  problems: string[];
  cga?: CgaClaims;
  chain: string[];
}

const MAX_CERT_BYTES = 16_384;

export function parseCertificate(input: string | Buffer): x509.X509Certificate {
  try {
    if (typeof input === 'string') {
      const text = input.trim();
      if (text.length > MAX_CERT_BYTES * 2) throw new Error('too long');
      if (/-----BEGIN CERTIFICATE-----/.test(text)) return new x509.X509Certificate(text);
      if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return new x509.X509Certificate(Buffer.from(text, 'base64'));
      throw new Error('neither PEM nor base64 DER');
    }
    if (input.length > MAX_CERT_BYTES) throw new Error('too long');
    return new x509.X509Certificate(input);
  } catch (err) {
    throw new HttpError(
      400,
      'MALFORMED_CERTIFICATE',
      `not an X.509 certificate (PEM or DER): ${(err as Error).message}`,
    );
  }
}

export async function verifyCertificate(
  pool: pg.Pool,
  ca: CaMaterial,
  input: string | Buffer,
): Promise<VerifyResult> {
  const cert = parseCertificate(input);
  const problems: string[] = [];
  const serial = normalizeSerial(cert.serialNumber) ?? cert.serialNumber.toLowerCase();
  const sameIssuer = cert.issuer === ca.issuing.subject;
  let signatureOk = false;
  if (sameIssuer) {
    try {
      signatureOk = await cert.verify({ publicKey: ca.issuing.publicKey, signatureOnly: true });
    } catch {
      signatureOk = false;
    }
  }
  const issuedByThisCa = sameIssuer && signatureOk;
  if (!sameIssuer) problems.push(`issued by "${cert.issuer}", not by this CA ("${ca.issuing.subject}")`);
  else if (!signatureOk) problems.push('the signature does not verify with the issuing CA key');
  // the issuing CA was checked against the root when the service loaded it
  const chain = issuedByThisCa;
  const now = Date.now();
  const timeValid = cert.notBefore.getTime() <= now && now <= cert.notAfter.getTime();
  if (cert.notAfter.getTime() < now) problems.push(`expired on ${cert.notAfter.toISOString()}`);
  if (cert.notBefore.getTime() > now) problems.push(`not valid before ${cert.notBefore.toISOString()}`);
  let status: VerifyResult['status'] = 'unknown';
  let revocation: VerifyResult['revocation'];
  if (issuedByThisCa) {
    const found = (await statusBySerials(pool, [serial])).get(serial);
    if (found?.status === 'active') status = 'good';
    if (found?.status === 'revoked') {
      status = 'revoked';
      revocation = { revokedAt: found.revokedAt!.toISOString(), reason: found.reason ?? 'unspecified' };
      problems.push(`revoked on ${revocation.revokedAt} (${revocation.reason})`);
    }
    if (!found) problems.push(`serial ${serial} is not in this CA's records`);
  }
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const cga: CgaClaims | undefined = claimsFromUris(
    (san?.names.items ?? []).filter((n) => n.type === 'url').map((n) => n.value),
  );
  const checks = {
    issuedByThisCa,
    chain,
    timeValid,
    knownToCa: status !== 'unknown',
    notRevoked: status !== 'revoked',
  };
  return {
    valid: Object.values(checks).every(Boolean),
    serial,
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    status,
    ...(revocation ? { revocation } : {}),
    checks,
    problems,
    ...(cga ? { cga } : {}),
    chain: issuedByThisCa ? [cert.subject, ca.issuing.subject, ca.root.subject] : [cert.subject],
  };
}
