// Storage of governance events (PostgreSQL). One ingest path serves the single-event and
// the batch routes. The common case (every event new, every chain continued) is one
// statement, aigos_append_events. Otherwise, inside one transaction of the organization,
// the general path takes the locks, classifies every event (created, duplicate, conflict)
// against what is stored, checks previousHash continuity per asset, appends the rows and
// the chain-break records, and updates the per-asset summary. Nothing here updates or
// deletes an event.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Pool } from '../../common/db.js';
import { appendAudit, type AuditActor } from '../../common/audit.js';
import { computeEventHash } from './canonical.js';
import type { EventProblem, GovernanceEvent } from './schema.js';
import { UUID_RE, withOrg } from '../../common/tenancy.js';

export type ChainStatus = 'none' | 'linked' | 'broken';

export interface Candidate {
  /** Position in the request (batch index; 0 for the single route). */
  index: number;
  event: GovernanceEvent;
  /** The event as stored (JSON text, without receivedAt). */
  json: string;
}

export interface ChainBreak {
  assetId: string;
  eventId: string;
  declaredPreviousHash: string;
  expectedPreviousHash: string | null;
  /** The aigrc.audit.chain.broken event the server appended. */
  recordId: string;
  record?: GovernanceEvent;
  recordReceivedAt?: string;
}

export type IngestOutcome =
  | {
      index: number;
      id: string;
      status: 'created';
      receivedAt: string;
      chain: ChainStatus;
      chainBreak?: ChainBreak;
      /** The stored event with receivedAt, as JSON text, for subscribers. */
      storedJson: string;
    }
  | { index: number; id: string; status: 'duplicate'; receivedAt: string }
  | { index: number; id: string; status: 'conflict'; receivedAt: string; problem: EventProblem };

/** An event as the API returns it: the envelope plus the server's receivedAt. */
export type StoredEvent = Record<string, unknown> & { id: string; receivedAt: string };

export interface EventFilters {
  assetId?: string;
  type?: string;
  category?: string;
  criticality?: string;
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

export interface AssetSummary {
  assetId: string;
  lastEventAt: string;
  eventCount: number;
  latestType: string;
}

export interface AuditContext {
  actor: AuditActor;
  requestId?: string;
  sourceAddress?: string;
}

export interface StoreOptions {
  /** Version written into server-generated events (source.version). */
  version: string;
  /** Base URL used in server-generated events' golden thread links. */
  publicUrl: string;
}

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

interface Row {
  id: string;
  type: string;
  category: string;
  criticality: string;
  assetId: string;
  producedAt: string;
  hash: string;
  previousHash: string | null;
  chain: ChainStatus;
  origin: 'producer' | 'server';
  json: string;
  index: number;
}

/** A concurrent transaction inserted one of our ids between the check and the insert. */
class RaceLost extends Error {}

export class EventStore {
  constructor(
    private readonly pool: Pool,
    private readonly opts: StoreOptions,
  ) {}

  /**
   * Store what is new among the candidates (already validated, all of this organization).
   * A previousHash break is also written to the audit trail, as `actor`, in the same
   * transaction.
   */
  async ingest(
    orgId: string,
    candidates: readonly Candidate[],
    audit?: AuditContext,
  ): Promise<IngestOutcome[]> {
    if (candidates.length === 0) return [];
    if (!UUID_RE.test(orgId))
      throw new Error(`ingest: organization id must be a UUID (got ${JSON.stringify(orgId)})`);
    // one spelling for the lock keys, whichever path (or a checkpoint) takes them
    const org = orgId.toLowerCase();
    const appended = await this.append(org, candidates);
    if (appended) return appended;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transaction((client) => this.ingestOnce(client, org, candidates, audit));
      } catch (err) {
        // a concurrent request stored one of our ids between our check and our insert, or
        // inserted the same ids in another order (deadlock): the next attempt sees them
        const code = (err as { code?: string }).code;
        const lost = err instanceof RaceLost || code === '22012' || code === '40P01';
        if (lost && attempt < 3) continue;
        throw err;
      }
    }
  }

  /**
   * The common case in one round trip: every candidate is new and continues its asset's
   * chain. aigos_append_events (migration 1764720600000_events_append) takes the locks of
   * the general path, checks exactly that and appends the rows and the summary, in a
   * transaction of its own; otherwise it writes nothing and this returns undefined (as
   * it does for an id repeated within the request), and the general path settles the
   * request. A named statement: parsed once per connection.
   */
  private async append(
    orgId: string,
    candidates: readonly Candidate[],
  ): Promise<IngestOutcome[] | undefined> {
    const events = candidates.map((c) => c.event);
    if (new Set(events.map((e) => e.id)).size !== events.length) return undefined;
    let res: pg.QueryResult<{ id: string; received_at: string }>;
    try {
      res = await this.pool.query({
        name: 'aigos_append_events',
        text: 'SELECT id, received_at FROM aigos_append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        values: [
          orgId,
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => e.category),
          events.map((e) => e.criticality),
          events.map((e) => e.assetId),
          events.map((e) => e.producedAt),
          events.map((e) => e.hash),
          events.map((e) => e.previousHash ?? null),
          candidates.map((c) => c.json),
        ],
      });
    } catch (err) {
      // nothing was written: a concurrent request stored one of these ids meanwhile
      // (40001), or is inserting some of them in another order (40P01, deadlock)
      const code = (err as { code?: string }).code;
      if (code === '40001' || code === '40P01') return undefined;
      throw err;
    }
    if (res.rows.length === 0) return undefined;
    const receivedAt = new Map(res.rows.map((r) => [r.id, r.received_at]));
    return candidates.map((c) => created(c, receivedAt.get(c.event.id)!));
  }

  /**
   * The ingest transaction. Unlike withOrg it does not open the transaction on its own:
   * ingestOnce sends BEGIN, the organization setting, the locks and its reads in one round
   * trip (a multi-statement query), then the writes and COMMIT in a second (COMMIT comes
   * separately only when audit entries of chain breaks must be appended first).
   */
  private async transaction<T>(
    fn: (client: pg.PoolClient) => Promise<{ result: T; committed: boolean }>,
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const { result, committed } = await fn(client);
      if (!committed) await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async ingestOnce(
    client: pg.PoolClient,
    orgId: string,
    candidates: readonly Candidate[],
    audit: AuditContext | undefined,
  ): Promise<{ result: IngestOutcome[]; committed: boolean }> {
    const assetIds = [...new Set(candidates.map((c) => c.event.assetId))].sort();
    const requestIds = new Set(candidates.map((c) => c.event.id));
    // the ids a break record of each chained event would take, looked up with the rest:
    // one already taken (by an event a client sent with that id) is not reused
    const recordIds = candidates.filter((c) => c.event.previousHash).map((c) => chainRecordId(c.event));
    const ids = [...new Set([...requestIds, ...recordIds])];
    // One round trip: BEGIN, the organization of the transaction (row-level security),
    // the shared lock of the organization (a checkpoint takes it exclusively, so it never
    // misses a row committed late with a lower seq), one lock per asset in a fixed order
    // (an asset's previousHash chain is checked and extended serially), then the reads.
    // Each statement of a multi-statement query has its own snapshot, so the reads see
    // everything committed before the locks were granted. Values are escaped literals
    // (the simple query protocol takes no parameters); the org id is a checked UUID.
    const lit = quote;
    const textArray = (xs: readonly string[]) => `ARRAY[${xs.map(lit).join(',')}]::text[]`;
    const org = lit(orgId);
    const results = (await client.query(
      `BEGIN;
       SELECT set_config('app.org_id', ${org}, true);
       SELECT pg_advisory_xact_lock_shared(1, hashtext(${org})),
              (SELECT count(pg_advisory_xact_lock(2, k))
                 FROM (SELECT DISTINCT hashtext(${org} || ':' || a) AS k FROM unnest(${textArray(assetIds)}) a ORDER BY 1) s);
       SELECT asset_id, head_hash FROM governance_event_assets
        WHERE organization_id = ${org} AND asset_id = ANY(${textArray(assetIds)});
       SELECT id, hash, received_at FROM governance_events
        WHERE organization_id = ${org} AND id = ANY(${textArray(ids)})`,
    )) as unknown as pg.QueryResult[];
    const heads = results[3] as pg.QueryResult<{ asset_id: string; head_hash: string | null }>;
    const existing = results[4] as pg.QueryResult<{ id: string; hash: string; received_at: Date }>;
    const head = new Map<string, string | null>(heads.rows.map((r) => [r.asset_id, r.head_hash]));
    const known = new Map(existing.rows.map((r) => [r.id, { hash: r.hash, receivedAt: iso(r.received_at) }]));

    const outcomes: (IngestOutcome | undefined)[] = new Array(candidates.length);
    const repeats = new Map<number, string>(); // position -> hash of the first occurrence
    const rows: Row[] = [];
    const breaks = new Map<number, ChainBreak>();
    const inBatch = new Map<string, string>(); // id -> hash of its first occurrence
    candidates.forEach((c, position) => {
      const e = c.event;
      const prior = known.get(e.id);
      if (prior) {
        outcomes[position] =
          prior.hash === e.hash
            ? { index: c.index, id: e.id, status: 'duplicate', receivedAt: prior.receivedAt }
            : conflict(c.index, e.id, prior.receivedAt);
        return;
      }
      const firstHash = inBatch.get(e.id);
      if (firstHash !== undefined) {
        // the same id twice in one request: settled once the first has its receivedAt
        repeats.set(position, firstHash);
        return;
      }
      inBatch.set(e.id, e.hash);
      let chain: ChainStatus = 'none';
      const expected = head.get(e.assetId) ?? null;
      if (e.previousHash) {
        if (e.previousHash === expected) chain = 'linked';
        else {
          chain = 'broken';
          const brk: ChainBreak = {
            assetId: e.assetId,
            eventId: e.id,
            declaredPreviousHash: e.previousHash,
            expectedPreviousHash: expected,
            recordId: '',
          };
          const derived = chainRecordId(e);
          const taken = known.has(derived) || requestIds.has(derived);
          const record = this.chainBrokenEvent(
            e,
            brk,
            taken ? `evt_${randomBytes(16).toString('hex')}` : derived,
          );
          brk.recordId = record.id;
          brk.record = record;
          breaks.set(position, brk);
        }
      }
      head.set(e.assetId, e.hash);
      rows.push(rowOf(c.index, e, c.json, chain, 'producer'));
      const brk = breaks.get(position);
      if (brk?.record) rows.push(rowOf(c.index, brk.record, JSON.stringify(brk.record), 'none', 'server'));
    });

    const inserted = new Map<string, string>(); // id -> receivedAt
    let committed = false;
    if (rows.length > 0) {
      const L = (v: string | null) => (v === null ? 'NULL' : lit(v));
      const arr = (xs: readonly (string | null)[], type: string) =>
        `ARRAY[${xs.map(L).join(',')}]::${type}[]`;
      // The events and the per-asset summary in one statement, with COMMIT in the same
      // round trip when no audit entry has to follow. If a concurrent request stored one
      // of these ids after our check, fewer rows come back: the division by zero then
      // aborts the transaction before COMMIT (and the whole ingest is retried).
      const commitNow = breaks.size === 0;
      const sql = `WITH r AS (
           SELECT * FROM unnest(${arr(
             rows.map((r) => r.id),
             'text',
           )}, ${arr(
             rows.map((r) => r.type),
             'text',
           )}, ${arr(
             rows.map((r) => r.category),
             'text',
           )}, ${arr(
             rows.map((r) => r.criticality),
             'text',
           )}, ${arr(
             rows.map((r) => r.assetId),
             'text',
           )}, ${arr(
             rows.map((r) => r.producedAt),
             'timestamptz',
           )}, ${arr(
             rows.map((r) => r.hash),
             'text',
           )}, ${arr(
             rows.map((r) => r.previousHash),
             'text',
           )}, ${arr(
             rows.map((r) => r.chain),
             'text',
           )}, ${arr(
             rows.map((r) => r.origin),
             'text',
           )}, ${arr(
             rows.map((r) => r.json),
             'text',
           )})
                WITH ORDINALITY AS u(id, type, category, criticality, asset_id, produced_at, hash, previous_hash,
                                     chain_status, origin, event, ord)
         ), ins AS (
           INSERT INTO governance_events
             (organization_id, id, type, category, criticality, asset_id, produced_at, hash, previous_hash,
              chain_status, origin, event)
           SELECT ${org}::uuid, r.id, r.type, r.category, r.criticality, r.asset_id, r.produced_at, r.hash,
                  r.previous_hash, r.chain_status, r.origin, r.event::jsonb
             FROM r ORDER BY r.ord
           ON CONFLICT (organization_id, id) DO NOTHING
           RETURNING id, received_at
         ), summary AS (
           -- as aigos_append_events: per asset the count, the latest producedAt and its
           -- type (the later row wins a tie), the new head (producer events only); assets
           -- in a fixed order, so concurrent upserts cannot deadlock
           INSERT INTO governance_event_assets AS a (organization_id, asset_id, event_count, last_event_at, latest_type, head_hash)
           SELECT ${org}::uuid, s.asset_id, s.n, s.last_at, s.latest_type, s.head
             FROM (SELECT r.asset_id,
                          count(*) AS n,
                          max(r.produced_at) AS last_at,
                          (array_agg(r.type ORDER BY r.produced_at DESC, r.ord DESC))[1] AS latest_type,
                          (array_agg(r.hash ORDER BY r.ord DESC) FILTER (WHERE r.origin = 'producer'))[1] AS head
                     FROM r GROUP BY r.asset_id ORDER BY r.asset_id) s
           ON CONFLICT (organization_id, asset_id) DO UPDATE SET
             event_count   = a.event_count + excluded.event_count,
             latest_type   = CASE WHEN excluded.last_event_at >= a.last_event_at THEN excluded.latest_type ELSE a.latest_type END,
             last_event_at = greatest(a.last_event_at, excluded.last_event_at),
             head_hash     = coalesce(excluded.head_hash, a.head_hash)
         )
         SELECT (SELECT 1 / (CASE WHEN count(*) = ${rows.length} THEN 1 ELSE 0 END) FROM ins) AS complete,
                (SELECT json_agg(json_build_array(id, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) FROM ins) AS rows${
                  commitNow ? ';\n         COMMIT' : ''
                }`;
      const res = (await client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
      const first = (Array.isArray(res) ? res[0]! : res) as pg.QueryResult<{
        rows: [string, string][] | null;
      }>;
      for (const [id, at] of first.rows[0]?.rows ?? []) inserted.set(id, at);
      if (inserted.size !== rows.length) throw new RaceLost();
      committed = commitNow;
      for (const brk of breaks.values()) {
        await appendAudit(client, {
          orgId,
          actor: audit?.actor ?? { type: 'system', label: 'events api' },
          action: 'event.chain.broken',
          target: { type: 'governance-event', id: brk.eventId },
          requestId: audit?.requestId,
          sourceAddress: audit?.sourceAddress,
          after: {
            assetId: brk.assetId,
            declaredPreviousHash: brk.declaredPreviousHash,
            expectedPreviousHash: brk.expectedPreviousHash,
            record: brk.recordId,
          },
        });
      }
    }

    candidates.forEach((c, position) => {
      if (outcomes[position]) return;
      const e = c.event;
      const receivedAt = inserted.get(e.id)!;
      const repeatOf = repeats.get(position);
      if (repeatOf !== undefined) {
        outcomes[position] =
          repeatOf === e.hash
            ? { index: c.index, id: e.id, status: 'duplicate', receivedAt }
            : conflict(c.index, e.id, receivedAt);
        return;
      }
      const brk = breaks.get(position);
      if (brk?.record) brk.recordReceivedAt = inserted.get(brk.recordId);
      outcomes[position] = created(c, receivedAt, brk);
    });
    return { result: outcomes as IngestOutcome[], committed };
  }

  /**
   * The record of a previousHash break: an aigrc.audit.chain.broken event written by the
   * control plane (source.tool "platform") into the asset's stream, with the id
   * chainRecordId gives unless the caller found it taken.
   */
  chainBrokenEvent(broken: GovernanceEvent, brk: ChainBreak, id = chainRecordId(broken)): GovernanceEvent {
    const now = new Date().toISOString();
    const base = this.opts.publicUrl.replace(/\/+$/, '');
    const record: Record<string, unknown> = {
      id,
      specVersion: '1.0',
      schemaVersion: 'aigrc-events@0.1.0',
      type: 'aigrc.audit.chain.broken',
      category: 'audit',
      criticality: 'high',
      source: {
        tool: 'platform',
        version: this.opts.version,
        orgId: broken.orgId,
        instanceId: 'aigos-api',
        identity: { type: 'service-token', subject: 'aigos-control-plane' },
        environment: 'production',
      },
      orgId: broken.orgId,
      assetId: broken.assetId,
      producedAt: now,
      goldenThread: {
        type: 'linked',
        system: 'aigos',
        ref: broken.id,
        url: `${base}/v1/events/${broken.id}`,
        status: 'active',
      },
      parentEventId: broken.id,
      data: {
        brokenEventId: broken.id,
        declaredPreviousHash: brk.declaredPreviousHash,
        expectedPreviousHash: brk.expectedPreviousHash,
        reason: brk.expectedPreviousHash
          ? 'previousHash does not match the hash of the last event received for this asset'
          : 'previousHash given but no earlier event of this asset was received',
      },
    };
    record.hash = computeEventHash(record);
    return record as GovernanceEvent;
  }

  // ---- reads -------------------------------------------------------------------------

  async list(orgId: string, f: EventFilters): Promise<{ events: StoredEvent[]; total: number }> {
    const where = ['organization_id = $1'];
    const params: unknown[] = [orgId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.assetId) add('asset_id = ?', f.assetId);
    if (f.type) add('type = ?', f.type);
    if (f.category) add('category = ?', f.category);
    if (f.criticality) add('criticality = ?', f.criticality);
    if (f.since) add('produced_at >= ?', f.since);
    if (f.until) add('produced_at < ?', f.until);
    const cond = where.join(' AND ');
    // the total without filters (or by asset only) is kept in the per-asset summary;
    // counting rows is needed only for the other filters
    const onlyAsset = !f.type && !f.category && !f.criticality && !f.since && !f.until;
    const countSql = !onlyAsset
      ? `SELECT count(*) AS n FROM governance_events WHERE ${cond}`
      : f.assetId
        ? `SELECT coalesce(sum(event_count), 0) AS n FROM governance_event_assets WHERE organization_id = $1 AND asset_id = $2`
        : `SELECT coalesce(sum(event_count), 0) AS n FROM governance_event_assets WHERE organization_id = $1`;
    return withOrg(this.pool, orgId, async (client) => {
      const [rows, count] = await Promise.all([
        client.query<{ event: Record<string, unknown>; received_at: Date }>(
          `SELECT event, received_at FROM governance_events WHERE ${cond}
            ORDER BY produced_at DESC, seq DESC LIMIT ${f.limit} OFFSET ${f.offset}`,
          params,
        ),
        client.query<{ n: string }>(countSql, params),
      ]);
      return {
        events: rows.rows.map((r) => withReceived(r.event, r.received_at)),
        total: Number(count.rows[0]?.n ?? 0),
      };
    });
  }

  async get(orgId: string, id: string): Promise<StoredEvent | undefined> {
    return withOrg(this.pool, orgId, async (client) => {
      const res = await client.query<{ event: Record<string, unknown>; received_at: Date }>(
        `SELECT event, received_at FROM governance_events WHERE organization_id = $1 AND id = $2`,
        [orgId, id],
      );
      const row = res.rows[0];
      return row ? withReceived(row.event, row.received_at) : undefined;
    });
  }

  async assets(
    orgId: string,
    limit: number,
    offset: number,
  ): Promise<{ assets: AssetSummary[]; total: number }> {
    return withOrg(this.pool, orgId, async (client) => {
      const [rows, count] = await Promise.all([
        client.query<{ asset_id: string; last_event_at: Date; event_count: string; latest_type: string }>(
          `SELECT asset_id, last_event_at, event_count, latest_type FROM governance_event_assets
            WHERE organization_id = $1 ORDER BY last_event_at DESC, asset_id LIMIT $2 OFFSET $3`,
          [orgId, limit, offset],
        ),
        client.query<{ n: string }>(
          `SELECT count(*) AS n FROM governance_event_assets WHERE organization_id = $1`,
          [orgId],
        ),
      ]);
      return {
        assets: rows.rows.map((r) => ({
          assetId: r.asset_id,
          lastEventAt: iso(r.last_event_at),
          eventCount: Number(r.event_count),
          latestType: r.latest_type,
        })),
        total: Number(count.rows[0]?.n ?? 0),
      };
    });
  }
}

/**
 * The id of the record of a break of `broken`'s chain: derived from the event, so that
 * however a request is retried the same break is recorded once (unless a client already
 * used that id for an event of its own; then the record takes a random one).
 */
function chainRecordId(broken: GovernanceEvent): string {
  const digest = createHash('sha256').update(`aigos:chain-broken:${broken.orgId}:${broken.id}`).digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

/**
 * A PostgreSQL string literal. E'' strings give backslashes their escape meaning whatever
 * standard_conforming_strings says, so doubling backslashes and quotes is complete; NUL
 * cannot occur (validation refuses it). Regex replaces: pg's escapeLiteral walks large
 * strings character by character, ten times slower on event JSON.
 */
export function quote(v: string): string {
  return `E'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function withReceived(event: Record<string, unknown>, receivedAt: Date): StoredEvent {
  return { ...event, receivedAt: iso(receivedAt) } as StoredEvent;
}

function created(c: Candidate, receivedAt: string, chainBreak?: ChainBreak): IngestOutcome {
  const e = c.event;
  return {
    index: c.index,
    id: e.id,
    status: 'created',
    receivedAt,
    chain: chainBreak ? 'broken' : e.previousHash ? 'linked' : 'none',
    ...(chainBreak ? { chainBreak } : {}),
    storedJson: `${c.json.slice(0, -1)},"receivedAt":"${receivedAt}"}`,
  };
}

function conflict(index: number, id: string, receivedAt: string): IngestOutcome {
  return {
    index,
    id,
    status: 'conflict',
    receivedAt,
    problem: {
      code: 'EVT_ID_CONFLICT',
      field: 'id',
      message: `an event with id ${id} and a different hash is already stored; an event is never changed`,
    },
  };
}

function rowOf(
  index: number,
  e: GovernanceEvent,
  json: string,
  chain: ChainStatus,
  origin: Row['origin'],
): Row {
  return {
    index,
    id: e.id,
    type: e.type,
    category: e.category,
    criticality: e.criticality,
    assetId: e.assetId,
    producedAt: e.producedAt,
    hash: e.hash,
    previousHash: e.previousHash ?? null,
    chain,
    origin,
    json,
  };
}
