// Making the CA hierarchy: an offline-capable RSA-4096 root (node-forge), an ECDSA P-256
// issuing CA signed by the root (the seed's "ECDSA P-256 signing key"), and a delegated
// OCSP responder certificate signed by the issuing CA (RFC 6960 §4.2.2.2). Used by
// `aigos-admin secrets generate` and by tests; the running service only loads the result.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { randomSerial } from './serial.js';
import { BACKDATE_MS, authorityKeyId, jsonName, type KeyAndCert, type NameSpec } from './common.js';
import { privateKeyPem, signingKeyFromPem, spkiDer, x509 } from './x509.js';

export { certMatchesKey, isIssuedBy, type KeyAndCert, type NameSpec } from './common.js';

const DAY_MS = 86_400_000;
export const OCSP_NOCHECK_OID = '1.3.6.1.5.5.7.48.1.5';

/** RSA private key for the root. node-forge delegates to Node's native generator. */
export function generateRsaKeyPem(bits = 4096): Promise<string> {
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits, workers: -1 }, (err, keys) => {
      if (err) return reject(err);
      const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keys.privateKey));
      resolve(forge.pki.privateKeyInfoToPem(info));
    });
  });
}

export function generateEcKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

export function generateEcKeyPem(): string {
  return privateKeyPem(generateEcKey());
}

/** Self-signed root certificate for an existing RSA key (node-forge). */
export function selfSignRoot(keyPem: string, name: NameSpec, validityDays = 3650): string {
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = randomSerial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + validityDays * DAY_MS);
  // UTF8String values, as RFC 5280 §4.1.2.4 asks of new certificates
  const field = (shortName: string, value: string) =>
    ({ shortName, value, valueTagClass: forge.asn1.Type.UTF8 }) as unknown as forge.pki.CertificateField;
  const attrs: forge.pki.CertificateField[] = [];
  if (name.organization) attrs.push(field('O', name.organization));
  if (name.organizationalUnit) attrs.push(field('OU', name.organizationalUnit));
  attrs.push(field('CN', name.commonName));
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export async function generateRoot(name: NameSpec, validityDays = 3650, bits = 4096): Promise<KeyAndCert> {
  const keyPem = await generateRsaKeyPem(bits);
  return { keyPem, certPem: selfSignRoot(keyPem, name, validityDays) };
}

function clampNotAfter(wanted: Date, issuer: x509.X509Certificate): Date {
  return wanted.getTime() > issuer.notAfter.getTime() ? issuer.notAfter : wanted;
}

/** The issuing CA certificate (pathlen 0) for `subjectKeyPem`, signed by the root. */
export async function issueIssuingCa(opts: {
  root: KeyAndCert;
  subjectKeyPem: string;
  name: NameSpec;
  validityDays?: number;
}): Promise<string> {
  const root = new x509.X509Certificate(opts.root.certPem);
  const signer = await signingKeyFromPem(opts.root.keyPem);
  const subjectKey = await signingKeyFromPem(opts.subjectKeyPem);
  const spki = spkiDer(subjectKey.keyObject);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: jsonName(opts.name),
    issuer: root.subjectName,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: clampNotAfter(new Date(now + (opts.validityDays ?? 5 * 365) * DAY_MS), root),
    publicKey: spki,
    signingKey: signer.cryptoKey,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(spki),
      await authorityKeyId(root),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** The delegated OCSP signing certificate, signed by the issuing CA. */
export async function issueOcspResponder(opts: {
  issuing: KeyAndCert;
  subjectKeyPem: string;
  name: NameSpec;
  validityDays?: number;
}): Promise<string> {
  const issuing = new x509.X509Certificate(opts.issuing.certPem);
  const signer = await signingKeyFromPem(opts.issuing.keyPem);
  const subjectKey = await signingKeyFromPem(opts.subjectKeyPem);
  const spki = spkiDer(subjectKey.keyObject);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: jsonName(opts.name),
    issuer: issuing.subjectName,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: clampNotAfter(new Date(now + (opts.validityDays ?? 365) * DAY_MS), issuing),
    publicKey: spki,
    signingKey: signer.cryptoKey,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning], false),
      // id-pkix-ocsp-nocheck: relying parties need not check this certificate's own status
      new x509.Extension(OCSP_NOCHECK_OID, false, new Uint8Array([0x05, 0x00])),
      await x509.SubjectKeyIdentifierExtension.create(spki),
      await authorityKeyId(issuing),
    ],
  });
  return cert.toString('pem') + '\n';
}
