// Building a CGA leaf certificate: CA-controlled subject, random serial, validity
// CA_VALIDITY_DAYS (never beyond the issuing CA), key usage by key type, client and
// server authentication, AKI/SKI, the CGA claims as SAN URIs, and where to check
// revocation (AIA OCSP, CRL DP).
import { BACKDATE_MS, authorityKeyId, jsonName } from './common.js';
import { type CgaClaims, claimUris } from './cga.js';
import type { CaMaterial } from './material.js';
import { randomSerial } from './serial.js';
import type { SubjectKey } from './subject-key.js';
import { x509 } from './x509.js';

export interface RevocationUrls {
  ocsp: string;
  crl: string;
  caIssuers: string;
}

export interface LeafRequest {
  key: SubjectKey;
  commonName: string;
  claims: CgaClaims;
  validityDays: number;
  urls: RevocationUrls;
  now?: Date;
}

export interface IssuedLeaf {
  cert: x509.X509Certificate;
  serial: string;
  pem: string;
  der: Buffer;
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

// X.520 upper bound for commonName
const MAX_CN = 64;

export async function buildLeaf(ca: CaMaterial, req: LeafRequest): Promise<IssuedLeaf> {
  const now = (req.now ?? new Date()).getTime();
  const serial = randomSerial();
  const notBefore = new Date(now - BACKDATE_MS);
  const wanted = new Date(now + req.validityDays * 86_400_000);
  const notAfter = wanted > ca.issuing.notAfter ? ca.issuing.notAfter : wanted;
  const usage =
    req.key.kind === 'rsa'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: jsonName({
      commonName: req.commonName.slice(0, MAX_CN) || req.claims.assetId,
      organizationalUnit: `CGA ${req.claims.governanceLevel}`,
      organization: req.claims.organizationId,
    }),
    issuer: ca.issuing.subjectName,
    notBefore,
    notAfter,
    publicKey: req.key.spki,
    signingKey: ca.issuingKey.cryptoKey,
    signingAlgorithm: ca.issuingKey.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.clientAuth,
        x509.ExtendedKeyUsage.serverAuth,
      ]),
      new x509.SubjectAlternativeNameExtension(
        claimUris(req.claims).map((value) => ({ type: 'url' as const, value })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(req.key.spki),
      await authorityKeyId(ca.issuing),
      new x509.AuthorityInfoAccessExtension({ ocsp: req.urls.ocsp, caIssuers: req.urls.caIssuers }),
      new x509.CRLDistributionPointsExtension([req.urls.crl]),
    ],
  });
  const der = Buffer.from(cert.rawData);
  return {
    cert,
    serial,
    der,
    pem: cert.toString('pem') + '\n',
    subject: cert.subject,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}
