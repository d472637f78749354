// SQL of the CA. Organization-scoped reads and writes take a client bound to the
// organization (withOrg) and are also filtered by row-level security; the public status
// (OCSP, CRL) reads certificate_status, which holds nothing organization-specific.
import type { Queryable } from '../common/tenancy.js';
import type { GovernanceLevel } from './pki/cga.js';
import type { RevocationReason } from './pki/revocation-reasons.js';

export interface CertificateRecord {
  id: string;
  organizationId: string;
  assetId: string;
  serial: string;
  subject: string;
  governanceLevel: GovernanceLevel;
  complianceScore: number | null;
  keyType: string;
  requestKind: 'csr' | 'descriptor';
  notBefore: Date;
  notAfter: Date;
  pem: string;
  fingerprintSha256: string;
  status: 'active' | 'revoked';
  issuedBy: string | null;
  issuedAt: Date;
  revokedAt: Date | null;
  revocationReason: RevocationReason | null;
  revokedBy: string | null;
}

interface Row {
  id: string;
  organization_id: string;
  asset_id: string;
  serial: string;
  subject: string;
  governance_level: GovernanceLevel;
  compliance_score: string | null;
  key_type: string;
  request_kind: 'csr' | 'descriptor';
  not_before: Date;
  not_after: Date;
  pem: string;
  fingerprint_sha256: string;
  status: 'active' | 'revoked';
  issued_by: string | null;
  issued_at: Date;
  revoked_at: Date | null;
  revocation_reason: RevocationReason | null;
  revoked_by: string | null;
}

const COLUMNS = `id, organization_id, asset_id, serial, subject, governance_level, compliance_score::text AS compliance_score,
  key_type, request_kind, not_before, not_after, pem, fingerprint_sha256, status, issued_by, issued_at,
  revoked_at, revocation_reason, revoked_by`;

function toRecord(r: Row): CertificateRecord {
  return {
    id: r.id,
    organizationId: r.organization_id,
    assetId: r.asset_id,
    serial: r.serial,
    subject: r.subject,
    governanceLevel: r.governance_level,
    complianceScore: r.compliance_score === null ? null : Number(r.compliance_score),
    keyType: r.key_type,
    requestKind: r.request_kind,
    notBefore: r.not_before,
    notAfter: r.not_after,
    pem: r.pem,
    fingerprintSha256: r.fingerprint_sha256,
    status: r.status,
    issuedBy: r.issued_by,
    issuedAt: r.issued_at,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    revokedBy: r.revoked_by,
  };
}

export type NewCertificate = Omit<
  CertificateRecord,
  'id' | 'status' | 'issuedAt' | 'revokedAt' | 'revocationReason' | 'revokedBy'
>;

export async function insertCertificate(client: Queryable, c: NewCertificate): Promise<CertificateRecord> {
  const r = await client.query<Row>(
    `INSERT INTO certificates (organization_id, asset_id, serial, subject, governance_level, compliance_score,
       key_type, request_kind, not_before, not_after, pem, fingerprint_sha256, issued_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     RETURNING ${COLUMNS}`,
    [
      c.organizationId,
      c.assetId,
      c.serial,
      c.subject,
      c.governanceLevel,
      c.complianceScore,
      c.keyType,
      c.requestKind,
      c.notBefore,
      c.notAfter,
      c.pem,
      c.fingerprintSha256,
      c.issuedBy,
    ],
  );
  return toRecord(r.rows[0]!);
}

/** By record id (UUID) or serial (canonical hex), within the bound organization. */
export async function findCertificate(
  client: Queryable,
  orgId: string,
  key: { id: string } | { serial: string },
  forUpdate = false,
): Promise<CertificateRecord | undefined> {
  const [column, value] = 'id' in key ? ['id', key.id] : ['serial', key.serial];
  const r = await client.query<Row>(
    `SELECT ${COLUMNS} FROM certificates WHERE organization_id = $1 AND ${column} = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [orgId, value],
  );
  return r.rows[0] ? toRecord(r.rows[0]) : undefined;
}

export async function markRevoked(
  client: Queryable,
  id: string,
  reason: RevocationReason,
  revokedAt: Date,
  revokedBy: string,
): Promise<CertificateRecord> {
  const r = await client.query<Row>(
    `UPDATE certificates SET status = 'revoked', revoked_at = $2, revocation_reason = $3, revoked_by = $4
      WHERE id = $1 AND status = 'active' RETURNING ${COLUMNS}`,
    [id, revokedAt, reason, revokedBy],
  );
  if (!r.rows[0]) throw new Error(`certificate ${id} is not active`);
  return toRecord(r.rows[0]);
}

// ---- public status (no organization) --------------------------------------------------

export interface PublicStatus {
  status: 'active' | 'revoked';
  notAfter: Date;
  revokedAt: Date | null;
  reason: RevocationReason | null;
}

export async function statusBySerials(q: Queryable, serials: string[]): Promise<Map<string, PublicStatus>> {
  const r = await q.query<{
    serial: string;
    status: 'active' | 'revoked';
    not_after: Date;
    revoked_at: Date | null;
    revocation_reason: RevocationReason | null;
  }>({
    // named: prepared once per connection (the OCSP hot path)
    name: 'ca-status-by-serials',
    text: `SELECT serial, status, not_after, revoked_at, revocation_reason FROM certificate_status WHERE serial = ANY($1::text[])`,
    values: [serials],
  });
  return new Map(
    r.rows.map((row) => [
      row.serial,
      {
        status: row.status,
        notAfter: row.not_after,
        revokedAt: row.revoked_at,
        reason: row.revocation_reason,
      },
    ]),
  );
}

/** Revoked certificates a CRL must list: those not yet expired (RFC 5280 §3.3 lets expired ones go). */
export async function revokedUnexpired(
  q: Queryable,
): Promise<{ serial: string; revokedAt: Date; reason: RevocationReason }[]> {
  const r = await q.query<{ serial: string; revoked_at: Date; revocation_reason: RevocationReason }>(
    `SELECT serial, revoked_at, revocation_reason FROM certificate_status
      WHERE status = 'revoked' AND not_after > now() ORDER BY revoked_at, serial`,
  );
  return r.rows.map((x) => ({ serial: x.serial, revokedAt: x.revoked_at, reason: x.revocation_reason }));
}

export interface CrlState {
  crlNumber: number;
  issuerKeyId: string;
  thisUpdate: Date;
  nextUpdate: Date;
}

export async function readCrlState(
  q: Queryable,
  withDer: true,
): Promise<(CrlState & { der: Buffer }) | undefined>;
export async function readCrlState(q: Queryable, withDer?: false): Promise<CrlState | undefined>;
export async function readCrlState(
  q: Queryable,
  withDer = false,
): Promise<(CrlState & { der?: Buffer }) | undefined> {
  const r = await q.query<{
    crl_number: string;
    issuer_key_id: string;
    this_update: Date;
    next_update: Date;
    der?: Buffer;
  }>(
    `SELECT crl_number::text AS crl_number, issuer_key_id, this_update, next_update${withDer ? ', der' : ''} FROM crl_state`,
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    crlNumber: Number(row.crl_number),
    issuerKeyId: row.issuer_key_id,
    thisUpdate: row.this_update,
    nextUpdate: row.next_update,
    ...(withDer ? { der: row.der } : {}),
  };
}

/** Serializes CRL issuance across replicas for the rest of the transaction. */
export async function lockCrl(q: Queryable): Promise<void> {
  await q.query(`SELECT pg_advisory_xact_lock(hashtext('aigos.ca.crl'))`);
}

export async function writeCrlState(q: Queryable, s: CrlState & { der: Buffer }): Promise<void> {
  await q.query(
    `INSERT INTO crl_state (id, crl_number, issuer_key_id, this_update, next_update, der)
     VALUES (true, $1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET crl_number = EXCLUDED.crl_number, issuer_key_id = EXCLUDED.issuer_key_id,
       this_update = EXCLUDED.this_update, next_update = EXCLUDED.next_update, der = EXCLUDED.der`,
    [s.crlNumber, s.issuerKeyId, s.thisUpdate, s.nextUpdate, s.der],
  );
}
