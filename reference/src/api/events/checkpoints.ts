// Integrity checkpoints: Merkle roots over the hashes of stored events, in receive order,
// per organization. Each checkpoint covers the events received since the previous one
// (seq in (fromSequence, toSequence]) and names the previous root, so checkpoints form a
// chain. Computed on a timer (INTEGRITY_CHECKPOINT_INTERVAL_MS) and on demand.
import type { Pool } from '../../common/db.js';
import type { Logger } from '../../common/logger.js';
import { merkleRoot } from './merkle.js';
import { withOrg } from '../../common/tenancy.js';

/** Events per checkpoint at most; a larger backlog gives several checkpoints. */
const MAX_LEAVES = 100_000;

export interface Checkpoint {
  id: string;
  orgId: string;
  merkleRoot: string;
  algorithm: 'sha256-binary-merkle';
  eventCount: number;
  fromSequence: number;
  toSequence: number;
  firstEventId: string;
  lastEventId: string;
  previousRoot: string | null;
  trigger: 'periodic' | 'on-demand';
  computedAt: string;
}

interface CheckpointRow {
  id: string;
  organization_id: string;
  merkle_root: string;
  event_count: number;
  from_seq: string;
  to_seq: string;
  first_event_id: string;
  last_event_id: string;
  previous_root: string | null;
  trigger: 'periodic' | 'on-demand';
  created_at: Date;
}

const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  id: String(r.id),
  orgId: r.organization_id,
  merkleRoot: r.merkle_root,
  algorithm: 'sha256-binary-merkle',
  eventCount: r.event_count,
  fromSequence: Number(r.from_seq),
  toSequence: Number(r.to_seq),
  firstEventId: r.first_event_id,
  lastEventId: r.last_event_id,
  previousRoot: r.previous_root,
  trigger: r.trigger,
  computedAt: r.created_at.toISOString(),
});

export class Checkpoints {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {}

  /** Checkpoints for every event received since the last one (none when nothing is new). */
  async compute(orgId: string, trigger: Checkpoint['trigger']): Promise<Checkpoint[]> {
    const made: Checkpoint[] = [];
    for (;;) {
      const cp = await this.computeOne(orgId, trigger);
      if (!cp) return made;
      made.push(cp);
      if (cp.eventCount < MAX_LEAVES) return made;
    }
  }

  private computeOne(orgId: string, trigger: Checkpoint['trigger']): Promise<Checkpoint | undefined> {
    return withOrg(this.pool, orgId, async (client) => {
      // exclusive: waits for in-flight ingests of this organization, so no row with a
      // lower seq can commit after this checkpoint is taken
      await client.query(`SELECT pg_advisory_xact_lock(1, hashtext($1))`, [orgId.toLowerCase()]); // as ingest
      const last = await client.query<{ to_seq: string; merkle_root: string }>(
        `SELECT to_seq, merkle_root FROM integrity_checkpoints WHERE organization_id = $1 ORDER BY to_seq DESC LIMIT 1`,
        [orgId],
      );
      const from = last.rows[0]?.to_seq ?? '0';
      const leaves = await client.query<{ seq: string; id: string; hash: string }>(
        `SELECT seq, id, hash FROM governance_events WHERE organization_id = $1 AND seq > $2 ORDER BY seq LIMIT ${MAX_LEAVES}`,
        [orgId, from],
      );
      if (leaves.rows.length === 0) return undefined;
      const first = leaves.rows[0]!;
      const lastLeaf = leaves.rows[leaves.rows.length - 1]!;
      const res = await client.query<CheckpointRow>(
        `INSERT INTO integrity_checkpoints
           (organization_id, from_seq, to_seq, event_count, first_event_id, last_event_id, merkle_root, previous_root, trigger)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING *`,
        [
          orgId,
          from,
          lastLeaf.seq,
          leaves.rows.length,
          first.id,
          lastLeaf.id,
          merkleRoot(leaves.rows.map((r) => r.hash)),
          last.rows[0]?.merkle_root ?? null,
          trigger,
        ],
      );
      return toCheckpoint(res.rows[0]!);
    });
  }

  async list(
    orgId: string,
    limit: number,
    offset: number,
  ): Promise<{ checkpoints: Checkpoint[]; total: number }> {
    return withOrg(this.pool, orgId, async (client) => {
      const rows = await client.query<CheckpointRow>(
        `SELECT * FROM integrity_checkpoints WHERE organization_id = $1 ORDER BY to_seq DESC LIMIT $2 OFFSET $3`,
        [orgId, limit, offset],
      );
      const count = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM integrity_checkpoints WHERE organization_id = $1`,
        [orgId],
      );
      return { checkpoints: rows.rows.map(toCheckpoint), total: Number(count.rows[0]?.n ?? 0) };
    });
  }

  /** The leaves of one checkpoint (event ids and hashes in receive order), for auditors. */
  async leaves(orgId: string, checkpointId: string): Promise<{ id: string; hash: string }[] | undefined> {
    return withOrg(this.pool, orgId, async (client) => {
      const cp = await client.query<{ from_seq: string; to_seq: string }>(
        `SELECT from_seq, to_seq FROM integrity_checkpoints WHERE organization_id = $1 AND id = $2`,
        [orgId, checkpointId],
      );
      const row = cp.rows[0];
      if (!row) return undefined;
      const leaves = await client.query<{ id: string; hash: string }>(
        `SELECT id, hash FROM governance_events WHERE organization_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
        [orgId, row.from_seq, row.to_seq],
      );
      return leaves.rows;
    });
  }

  /** One periodic round over every organization. */
  async runAll(): Promise<number> {
    const orgs = await this.pool.query<{ id: string }>(`SELECT id FROM organizations ORDER BY id`);
    let made = 0;
    for (const { id } of orgs.rows) made += (await this.compute(id, 'periodic')).length;
    return made;
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runAll()
        .then((n) => n > 0 && this.log.info({ checkpoints: n }, 'integrity checkpoints computed'))
        .catch((err: Error) =>
          this.log.warn({ err: { message: err.message } }, 'integrity checkpoint round failed'),
        )
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
