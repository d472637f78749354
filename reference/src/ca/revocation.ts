// Revoking: the record turns revoked (final; the database refuses to undo it), the
// public status follows (trigger), a new CRL is issued and the audit entry is written,
// all in one transaction of the caller's organization.
import type pg from 'pg';
import { appendAudit } from '../common/audit.js';
import { HttpError } from '../common/errors.js';
import { withOrg } from '../common/tenancy.js';
import type { CrlPublisher } from './crl-publisher.js';
import { actorLabel, type Caller } from './issuance.js';
import type { RevocationReason } from './pki/revocation-reasons.js';
import { type CertificateRecord, findCertificate, markRevoked } from './repository.js';
import type { StatusCache } from './status-cache.js';

export async function revokeCertificate(
  deps: { pool: pg.Pool; publisher: CrlPublisher; statuses: StatusCache },
  caller: Caller,
  which: { id: string } | { serial: string },
  reason: RevocationReason,
): Promise<{ record: CertificateRecord; crlNumber: number }> {
  const result = await withOrg(deps.pool, caller.orgId, async (client) => {
    const current = await findCertificate(client, caller.orgId, which, true);
    const named = 'id' in which ? `id ${which.id}` : `serial ${which.serial}`;
    if (!current)
      throw new HttpError(404, 'CERTIFICATE_NOT_FOUND', `no certificate with ${named} in your organization`);
    if (current.status === 'revoked')
      throw new HttpError(409, 'ALREADY_REVOKED', `certificate ${current.serial} was already revoked`, [
        { revokedAt: current.revokedAt?.toISOString(), reason: current.revocationReason },
      ]);
    // whole seconds: the CRL and OCSP carry GeneralizedTime without fractions
    const revokedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const record = await markRevoked(client, current.id, reason, revokedAt, actorLabel(caller.actor));
    const crl = await deps.publisher.issue(client);
    await appendAudit(client, {
      orgId: caller.orgId,
      actor: caller.actor,
      action: 'certificate.revoked',
      target: { type: 'certificate', id: record.id },
      sourceAddress: caller.sourceAddress,
      requestId: caller.requestId,
      before: { serial: current.serial, status: current.status },
      after: {
        serial: record.serial,
        status: record.status,
        reason,
        revokedAt: revokedAt.toISOString(),
        crlNumber: crl.crlNumber,
      },
    });
    return { record, crlNumber: crl.crlNumber };
  });
  // committed: OCSP answers revoked from now on, on every replica
  await deps.statuses.changed(result.record.serial);
  return result;
}
