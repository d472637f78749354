// The audit trail: an append-only, hash-chained log per organization.
//
// Every entry's hash is sha256(canonical JSON of its chained fields) where the chained
// fields are { v: 1, orgId, seq, occurredAt, actor: { type, id, label }, action,
// target: { type, id }, sourceAddress, requestId, beforeDigest, afterDigest, prevHash }
// (absent values are null; canonical JSON = keys sorted at every level, compact). The
// first entry of an organization has prevHash = 64 zeros. Anyone holding the NDJSON
// export can recompute the chain with that rule.
//
// Appends of one organization are serialized with a transaction-scoped advisory lock, so
// concurrent appends cannot fork the chain. The database refuses UPDATE, DELETE and
// TRUNCATE on the table for the application role (privileges and a trigger).
import { canonicalJson, digestOf, sha256Hex } from './canonical-json.js';
import { currentOrg, type Queryable } from './tenancy.js';

export const GENESIS_HASH = '0'.repeat(64);
/** Advisory lock class of audit appends (first key of pg_advisory_xact_lock(int, int)). */
const AUDIT_LOCK_CLASS = 0x4a7d17;

export type ActorType = 'user' | 'api-key' | 'system' | 'operator';

export interface AuditActor {
  type: ActorType;
  id?: string;
  label?: string;
}

export interface AuditEntryInput {
  orgId: string;
  actor: AuditActor;
  /** dotted verb, e.g. asset.created, apikey.revoked, certificate.issued */
  action: string;
  target: { type: string; id?: string };
  sourceAddress?: string;
  requestId?: string;
  /** State before and after the change; only their digests are stored. */
  before?: unknown;
  after?: unknown;
}

export interface AuditRecord {
  id: string;
  orgId: string;
  seq: number;
  occurredAt: string;
  actor: { type: ActorType; id: string | null; label: string | null };
  action: string;
  target: { type: string; id: string | null };
  sourceAddress: string | null;
  requestId: string | null;
  beforeDigest: string | null;
  afterDigest: string | null;
  prevHash: string;
  hash: string;
}

/** The fields covered by an entry's hash. */
export function chainedFields(r: Omit<AuditRecord, 'id' | 'hash'>): Record<string, unknown> {
  return {
    v: 1,
    orgId: r.orgId,
    seq: r.seq,
    occurredAt: r.occurredAt,
    actor: { type: r.actor.type, id: r.actor.id, label: r.actor.label },
    action: r.action,
    target: { type: r.target.type, id: r.target.id },
    sourceAddress: r.sourceAddress,
    requestId: r.requestId,
    beforeDigest: r.beforeDigest,
    afterDigest: r.afterDigest,
    prevHash: r.prevHash,
  };
}

export function entryHash(r: Omit<AuditRecord, 'id' | 'hash'>): string {
  return sha256Hex(canonicalJson(chainedFields(r)));
}

const ACTION_RE = /^[a-z][a-z0-9_.:-]{1,99}$/;

/**
 * Append one entry to the organization's chain. `client` must be inside a transaction
 * bound to entry.orgId (withOrg): the entry commits or rolls back with the change it
 * records.
 */
export async function appendAudit(
  client: Queryable,
  entry: AuditEntryInput,
): Promise<{ id: string; seq: number; hash: string }> {
  if (!ACTION_RE.test(entry.action))
    throw new Error(`appendAudit: invalid action ${JSON.stringify(entry.action)}`);
  const bound = await currentOrg(client);
  if (bound !== entry.orgId.toLowerCase()) {
    throw new Error(
      `appendAudit: the client's transaction is bound to ${bound ?? 'no organization'}, not ${entry.orgId}; call it inside withOrg(pool, orgId, ...)`,
    );
  }
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [AUDIT_LOCK_CLASS, entry.orgId]);
  const last = await client.query<{ seq: string; hash: string }>(
    `SELECT seq, hash FROM audit_log WHERE organization_id = $1 ORDER BY seq DESC LIMIT 1`,
    [entry.orgId],
  );
  const record: Omit<AuditRecord, 'id' | 'hash'> = {
    orgId: entry.orgId.toLowerCase(),
    seq: last.rows[0] ? Number(last.rows[0].seq) + 1 : 1,
    occurredAt: new Date().toISOString(),
    actor: { type: entry.actor.type, id: entry.actor.id ?? null, label: entry.actor.label ?? null },
    action: entry.action,
    target: { type: entry.target.type, id: entry.target.id ?? null },
    sourceAddress: entry.sourceAddress ?? null,
    requestId: entry.requestId ?? null,
    beforeDigest: entry.before === undefined ? null : digestOf(entry.before),
    afterDigest: entry.after === undefined ? null : digestOf(entry.after),
    prevHash: last.rows[0]?.hash ?? GENESIS_HASH,
  };
  const hash = entryHash(record);
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO audit_log (organization_id, seq, occurred_at, actor_type, actor_id, actor_label, action,
       target_type, target_id, source_address, request_id, before_digest, after_digest, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
    [
      record.orgId,
      record.seq,
      record.occurredAt,
      record.actor.type,
      record.actor.id,
      record.actor.label,
      record.action,
      record.target.type,
      record.target.id,
      record.sourceAddress,
      record.requestId,
      record.beforeDigest,
      record.afterDigest,
      record.prevHash,
      hash,
    ],
  );
  return { id: inserted.rows[0]!.id, seq: record.seq, hash };
}

interface AuditRow {
  id: string;
  organization_id: string;
  seq: string;
  occurred_at: Date;
  actor_type: ActorType;
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  source_address: string | null;
  request_id: string | null;
  before_digest: string | null;
  after_digest: string | null;
  prev_hash: string;
  hash: string;
}

export const AUDIT_COLUMNS = `id, organization_id, seq, occurred_at, actor_type, actor_id, actor_label,
  action, target_type, target_id, source_address, request_id, before_digest, after_digest, prev_hash, hash`;

export function toAuditRecord(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    orgId: r.organization_id,
    seq: Number(r.seq),
    occurredAt: r.occurred_at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id, label: r.actor_label },
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    sourceAddress: r.source_address,
    requestId: r.request_id,
    beforeDigest: r.before_digest,
    afterDigest: r.after_digest,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Read the chain in order, in pages, without holding it all in memory. */
export async function* readAuditChain(
  client: Queryable,
  orgId: string,
  pageSize = 1000,
): AsyncGenerator<AuditRecord> {
  let after = 0;
  for (;;) {
    const page = await client.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE organization_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [orgId, after, pageSize],
    );
    for (const row of page.rows) yield toAuditRecord(row);
    if (page.rows.length < pageSize) return;
    after = Number(page.rows[page.rows.length - 1]!.seq);
  }
}

export type BrokenReason = 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap';

export interface ChainVerification {
  ok: boolean;
  /** Entries checked. */
  entries: number;
  /** Hash of the last entry (the chain head), when there is one. */
  headHash: string | null;
  headSeq: number | null;
  firstBroken?: { seq: number; id: string; reason: BrokenReason; message: string };
  algorithm: string;
}

export const CHAIN_ALGORITHM =
  'hash = sha256(canonical JSON of {v:1, orgId, seq, occurredAt, actor{type,id,label}, action, target{type,id}, sourceAddress, requestId, beforeDigest, afterDigest, prevHash}); prevHash of seq 1 = 64 zeros';

/**
 * Recompute the organization's chain and name the first broken link: an entry whose
 * content no longer matches its hash, whose prevHash is not its predecessor's hash, or
 * a missing sequence number (a deleted entry).
 */
export async function verifyAuditChain(client: Queryable, orgId: string): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  let head: AuditRecord | undefined;
  for await (const r of readAuditChain(client, orgId)) {
    entries++;
    const broken = (reason: BrokenReason, message: string): ChainVerification => ({
      ok: false,
      entries,
      headHash: head?.hash ?? null,
      headSeq: head?.seq ?? null,
      firstBroken: { seq: r.seq, id: r.id, reason, message },
      algorithm: CHAIN_ALGORITHM,
    });
    if (r.seq !== expectedSeq)
      return broken('seq-gap', `expected entry ${expectedSeq} but found ${r.seq}: entries are missing`);
    if (r.prevHash !== prevHash)
      return broken('prev-hash-mismatch', `prevHash does not match the hash of entry ${r.seq - 1}`);
    if (entryHash(r) !== r.hash)
      return broken(
        'hash-mismatch',
        `the content of entry ${r.seq} does not match its hash (it was changed)`,
      );
    prevHash = r.hash;
    expectedSeq++;
    head = r;
  }
  return {
    ok: true,
    entries,
    headHash: head?.hash ?? null,
    headSeq: head?.seq ?? null,
    algorithm: CHAIN_ALGORITHM,
  };
}
