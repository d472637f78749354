// Answering OCSP requests: which of the requested certificates are ours (CertID hashes
// of our issuing CA, in whatever hash the client used), their live status from
// status (StatusCache, backed by certificate_status), one signed response. Requests for other issuers get "unknown".
import type { CaMaterial } from './pki/material.js';
import {
  type CertificateStatus,
  isOurIssuer,
  parseOcspRequest,
  requestedSerial,
  signOcspResponse,
} from './pki/ocsp.js';
import type { StatusCache } from './status-cache.js';

export class OcspResponder {
  private readonly hashCache = new Map<string, [Buffer, Buffer]>();

  constructor(
    private readonly statuses: StatusCache,
    private readonly ca: CaMaterial,
  ) {}

  /** DER request in, DER response out. Throws MalformedOcspRequest for bad input. */
  async answer(der: Uint8Array): Promise<Buffer> {
    const req = parseOcspRequest(der);
    const ours = req.certIds.map((id) =>
      isOurIssuer(this.ca, id, this.hashCache) ? requestedSerial(id) : undefined,
    );
    const serials = [...new Set(ours.filter((s): s is string => s !== undefined))];
    const found = serials.length ? await this.statuses.lookup(serials) : new Map();
    const answers = req.certIds.map((certId, i) => {
      const serial = ours[i];
      const row = serial ? found.get(serial) : undefined;
      let status: CertificateStatus = { status: 'unknown' };
      if (row?.status === 'active') status = { status: 'good' };
      if (row?.status === 'revoked')
        status = { status: 'revoked', revokedAt: row.revokedAt!, reason: row.reason ?? 'unspecified' };
      return { certId, status };
    });
    return signOcspResponse(this.ca, answers, req.nonce);
  }
}
