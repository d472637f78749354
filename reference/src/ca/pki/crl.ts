// The CRL of the issuing CA (RFC 5280 §5): every revoked certificate that has not yet
// expired, with its revocation time and reason (omitted for "unspecified", as §5.3.1
// recommends), a monotonically increasing CRL number and the issuer's key identifier.
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { authorityKeyId } from './common.js';
import type { CaMaterial } from './material.js';
import { reasonCode, type RevocationReason } from './revocation-reasons.js';
import { x509 } from './x509.js';

export interface RevokedEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export async function buildCrl(
  ca: CaMaterial,
  opts: { number: number; thisUpdate: Date; nextUpdate: Date; entries: RevokedEntry[] },
): Promise<Buffer> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.issuing.subjectName,
    thisUpdate: opts.thisUpdate,
    nextUpdate: opts.nextUpdate,
    signingKey: ca.issuingKey.cryptoKey,
    signingAlgorithm: ca.issuingKey.algorithm,
    extensions: [
      await authorityKeyId(ca.issuing),
      new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(opts.number))),
    ],
    entries: opts.entries.map((e) => ({
      serialNumber: e.serial,
      revocationDate: e.revokedAt,
      ...(e.reason === 'unspecified' ? {} : { reason: reasonCode(e.reason) as x509.X509CrlReason }),
    })),
  });
  return Buffer.from(crl.rawData);
}
