// The audit chain rules without a database: canonical JSON, entry hashes, and the
// verifier naming the first broken link (changed content, broken link, missing entry).
import { describe, expect, it } from 'vitest';
import { chainedFields, entryHash, GENESIS_HASH, verifyAuditChain, type AuditRecord } from './audit.js';
import { canonicalJson } from './canonical-json.js';
import type { Queryable } from './tenancy.js';

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const r = {
      orgId: '00000000-0000-4000-8000-000000000001',
      seq,
      occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      actor: { type: 'api-key' as const, id: 'k', label: 'key' },
      action: 'asset.created',
      target: { type: 'asset', id: `a${seq}` },
      sourceAddress: '127.0.0.1',
      requestId: `r${seq}`,
      beforeDigest: null,
      afterDigest: 'f'.repeat(64),
      prevHash: prev,
    };
    const hash = entryHash(r);
    out.push({ ...r, id: `id${seq}`, hash });
    prev = hash;
  }
  return out;
}

/** A stand-in client answering the verifier's paged SELECT from memory. */
function fake(records: AuditRecord[]): Queryable {
  return {
    query: (async (_sql: string, params: unknown[]) => {
      const [, after, limit] = params as [string, number, number];
      const rows = records
        .filter((r) => r.seq > after)
        .slice(0, limit)
        .map((r) => ({
          id: r.id,
          organization_id: r.orgId,
          seq: String(r.seq),
          occurred_at: new Date(r.occurredAt),
          actor_type: r.actor.type,
          actor_id: r.actor.id,
          actor_label: r.actor.label,
          action: r.action,
          target_type: r.target.type,
          target_id: r.target.id,
          source_address: r.sourceAddress,
          request_id: r.requestId,
          before_digest: r.beforeDigest,
          after_digest: r.afterDigest,
          prev_hash: r.prevHash,
          hash: r.hash,
        }));
      return { rows };
    }) as unknown as Queryable['query'],
  };
}

describe('canonical JSON', () => {
  it('sorts keys at every level, is compact and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"f":1}]},"b":1}',
    );
  });
});

describe('audit chain', () => {
  it('covers every field: changing any one changes the hash', () => {
    const [r] = chain(1);
    const base = entryHash(r!);
    for (const [k, v] of Object.entries({
      action: 'asset.deleted',
      requestId: 'other',
      sourceAddress: '10.0.0.1',
      prevHash: '1'.repeat(64),
    }))
      expect(entryHash({ ...r!, [k]: v })).not.toBe(base);
    expect(entryHash({ ...r!, actor: { ...r!.actor, label: 'someone' } })).not.toBe(base);
    expect(Object.keys(chainedFields(r!))).toContain('v');
  });

  it('verifies an intact chain across pages', async () => {
    const records = chain(2500);
    const v = await verifyAuditChain(fake(records), records[0]!.orgId);
    expect(v).toMatchObject({ ok: true, entries: 2500, headSeq: 2500, headHash: records[2499]!.hash });
  });

  it('names the first changed entry, a relinked entry, and a missing entry', async () => {
    const changed = chain(5);
    changed[2] = { ...changed[2]!, actor: { ...changed[2]!.actor, label: 'forged' } };
    expect((await verifyAuditChain(fake(changed), 'o')).firstBroken).toMatchObject({
      seq: 3,
      reason: 'hash-mismatch',
    });

    const rehashed = chain(5);
    const forged = { ...rehashed[1]!, action: 'asset.forged' };
    rehashed[1] = { ...forged, hash: entryHash(forged) };
    expect((await verifyAuditChain(fake(rehashed), 'o')).firstBroken).toMatchObject({
      seq: 3,
      reason: 'prev-hash-mismatch',
    });

    const gap = chain(5).filter((r) => r.seq !== 4);
    expect((await verifyAuditChain(fake(gap), 'o')).firstBroken).toMatchObject({ seq: 5, reason: 'seq-gap' });
  });
});
