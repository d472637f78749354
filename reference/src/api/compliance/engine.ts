// Compliance evaluation: each asset against the organization's active policy packs,
// stored per asset (asset_compliance) with a history row whenever a score changes, and
// the organization's score (mean over its non-retired assets that have a score).
// Recomputed when an asset changes (same transaction), when its evidence changes, and
// for the whole organization when a pack is imported, activated or deactivated.
import type pg from 'pg';
import { evaluateAsset, packSchema, type AssetEvaluation, type PolicyPack } from '../policies/pack.js';
import type { EvidenceFact, Subject } from '../policies/checks.js';
import { queueOrgEvent } from '../../common/realtime.js';
import { compact, resultsDigest } from './results.js';

/** Lock class for whole-organization recomputes (pg_advisory_xact_lock(int, int)). */
const RECOMPUTE_LOCK_CLASS = 0x4a7d18;

// Stored definitions were validated on import; parsing them again is cheap but not free,
// so compiled packs are kept by digest (a digest names one immutable pack version).
const compiled = new Map<string, PolicyPack>();

function compile(digest: string, definition: unknown): PolicyPack {
  let pack = compiled.get(digest);
  if (!pack) {
    pack = packSchema.parse(definition);
    if (compiled.size > 200) compiled.clear();
    compiled.set(digest, pack);
  }
  return pack;
}

export async function activePacks(client: pg.PoolClient, orgId: string): Promise<PolicyPack[]> {
  const r = await client.query<{ digest: string; definition: unknown }>(
    `SELECT digest, definition FROM policy_packs WHERE organization_id = $1 AND active ORDER BY pack_id`,
    [orgId],
  );
  return r.rows.map((row) => compile(row.digest, row.definition));
}

export function subjectOf(
  card: Record<string, unknown>,
  status: string,
  evidence: readonly EvidenceFact[],
): Subject {
  return { card: { ...card, status }, evidence };
}

interface Previous {
  score: string | null;
  passed: number | null;
  failed: number;
  gaps: number;
  results_digest: string | null;
}

interface Evaluated {
  assetId: string;
  /** The asset card's own id (aigrc-...), as clients know the asset. */
  cardId?: string;
  evaluation: AssetEvaluation;
  previous?: Previous;
}

const scoreChanged = (prev: Previous | undefined, e: AssetEvaluation) =>
  !prev ||
  prev.passed === null ||
  (prev.score === null ? null : Number(prev.score)) !== e.score ||
  prev.passed !== e.passed ||
  prev.failed !== e.failed ||
  prev.gaps !== e.gaps;

/** Write the evaluations whose results changed; a history row for each changed score. */
async function storeEvaluations(
  client: pg.PoolClient,
  orgId: string,
  evaluations: Evaluated[],
  trigger: string,
): Promise<number> {
  const cols = {
    ids: [] as string[],
    scores: [] as (number | null)[],
    passed: [] as number[],
    failed: [] as number[],
    gaps: [] as number[],
    na: [] as number[],
    results: [] as string[],
    digests: [] as string[],
  };
  for (const { assetId, evaluation: e, previous } of evaluations) {
    const stored = compact(e.results);
    const digest = resultsDigest(e, stored);
    if (previous?.results_digest === digest) continue;
    cols.ids.push(assetId);
    cols.scores.push(e.score);
    cols.passed.push(e.passed);
    cols.failed.push(e.failed);
    cols.gaps.push(e.gaps);
    cols.na.push(e.notApplicable);
    cols.results.push(JSON.stringify(stored));
    cols.digests.push(digest);
  }
  if (cols.ids.length === 0) return 0;
  await client.query(
    `INSERT INTO asset_compliance (asset_id, organization_id, score, passed, failed, gaps, not_applicable, results, results_digest, evaluated_at)
     SELECT u.id, $1, u.score, u.passed, u.failed, u.gaps, u.na, u.results, u.digest, now()
       FROM unnest($2::uuid[], $3::numeric[], $4::int[], $5::int[], $6::int[], $7::int[], $8::jsonb[], $9::text[])
            AS u(id, score, passed, failed, gaps, na, results, digest)
     ON CONFLICT (asset_id) DO UPDATE SET score = EXCLUDED.score, passed = EXCLUDED.passed, failed = EXCLUDED.failed,
       gaps = EXCLUDED.gaps, not_applicable = EXCLUDED.not_applicable, results = EXCLUDED.results,
       results_digest = EXCLUDED.results_digest, evaluated_at = EXCLUDED.evaluated_at`,
    [orgId, cols.ids, cols.scores, cols.passed, cols.failed, cols.gaps, cols.na, cols.results, cols.digests],
  );
  // live dashboards: one message per asset whose results changed (bounded for bulk runs)
  const LIVE_LIMIT = 200;
  const written = new Set(cols.ids);
  for (const x of evaluations.filter((e) => written.has(e.assetId)).slice(0, LIVE_LIMIT)) {
    queueOrgEvent(client, orgId, 'compliance', {
      assetId: x.cardId ?? x.assetId,
      score: x.evaluation.score,
      passed: x.evaluation.passed,
      failed: x.evaluation.failed,
      gaps: x.evaluation.gaps,
      trigger,
      evaluatedAt: new Date().toISOString(),
    });
  }
  const moved = evaluations.filter((x) => scoreChanged(x.previous, x.evaluation));
  if (moved.length) {
    await client.query(
      `INSERT INTO compliance_history (organization_id, asset_id, score, passed, failed, gaps, trigger)
       SELECT $1, u.id, u.score, u.passed, u.failed, u.gaps, $7
         FROM unnest($2::uuid[], $3::numeric[], $4::int[], $5::int[], $6::int[]) AS u(id, score, passed, failed, gaps)`,
      [
        orgId,
        moved.map((m) => m.assetId),
        moved.map((m) => m.evaluation.score),
        moved.map((m) => m.evaluation.passed),
        moved.map((m) => m.evaluation.failed),
        moved.map((m) => m.evaluation.gaps),
        trigger,
      ],
    );
  }
  return cols.ids.length;
}

export interface OrgScore {
  score: number | null;
  assets: number;
  passed: number;
  failed: number;
  gaps: number;
}

export async function orgScore(client: pg.PoolClient, orgId: string): Promise<OrgScore> {
  const r = await client.query<{
    score: string | null;
    assets: string;
    passed: string | null;
    failed: string | null;
    gaps: string | null;
  }>(
    `SELECT round(avg(c.score), 2)::text AS score, count(c.score)::text AS assets,
            sum(c.passed)::text AS passed, sum(c.failed)::text AS failed, sum(c.gaps)::text AS gaps
       FROM asset_compliance c JOIN asset_cards a ON a.id = c.asset_id
      WHERE c.organization_id = $1 AND a.status <> 'retired'`,
    [orgId],
  );
  const row = r.rows[0]!;
  return {
    score: row.score === null ? null : Number(row.score),
    assets: Number(row.assets),
    passed: Number(row.passed ?? 0),
    failed: Number(row.failed ?? 0),
    gaps: Number(row.gaps ?? 0),
  };
}

/** Record the organization's score when it moved since the last history row. */
async function recordOrgScore(client: pg.PoolClient, orgId: string, trigger: string): Promise<OrgScore> {
  const now = await orgScore(client, orgId);
  const last = await client.query<{
    score: string | null;
    assets: number | null;
    passed: number;
    failed: number;
    gaps: number;
  }>(
    `SELECT score::text AS score, assets, passed, failed, gaps FROM compliance_history
      WHERE organization_id = $1 AND asset_id IS NULL ORDER BY recorded_at DESC, id DESC LIMIT 1`,
    [orgId],
  );
  const prev = last.rows[0];
  const same =
    prev &&
    (prev.score === null ? null : Number(prev.score)) === now.score &&
    prev.assets === now.assets &&
    prev.passed === now.passed &&
    prev.failed === now.failed &&
    prev.gaps === now.gaps;
  if (!same) {
    await client.query(
      `INSERT INTO compliance_history (organization_id, asset_id, score, passed, failed, gaps, assets, trigger)
       VALUES ($1, NULL, $2, $3, $4, $5, $6, $7)`,
      [orgId, now.score, now.passed, now.failed, now.gaps, now.assets, trigger],
    );
    queueOrgEvent(client, orgId, 'compliance', { assetId: null, orgScore: now, trigger });
  }
  return now;
}

async function evidenceFacts(
  client: pg.PoolClient,
  orgId: string,
  assetIds: readonly string[],
): Promise<Map<string, EvidenceFact[]>> {
  const r = await client.query<{
    asset_id: string;
    kind: string;
    pack_id: string | null;
    control_id: string | null;
  }>(
    `SELECT asset_id, kind, pack_id, control_id FROM evidence WHERE organization_id = $1 AND asset_id = ANY($2::uuid[])`,
    [orgId, assetIds],
  );
  const byAsset = new Map<string, EvidenceFact[]>();
  for (const row of r.rows) {
    const list = byAsset.get(row.asset_id) ?? [];
    list.push({ kind: row.kind, packId: row.pack_id, controlId: row.control_id });
    byAsset.set(row.asset_id, list);
  }
  return byAsset;
}

/** Re-evaluate one asset (its row is already written in this transaction). */
export async function recomputeAsset(
  client: pg.PoolClient,
  orgId: string,
  assetId: string,
  trigger: string,
): Promise<AssetEvaluation> {
  const packs = await activePacks(client, orgId);
  const asset = await client.query<{ card: Record<string, unknown>; status: string } & Previous>(
    `SELECT a.card, a.status, c.score::text AS score, c.passed, c.failed, c.gaps, c.results_digest
       FROM asset_cards a LEFT JOIN asset_compliance c ON c.asset_id = a.id
      WHERE a.organization_id = $1 AND a.id = $2`,
    [orgId, assetId],
  );
  const row = asset.rows[0];
  if (!row) throw new Error(`recomputeAsset: no asset ${assetId}`);
  const evidence = (await evidenceFacts(client, orgId, [assetId])).get(assetId) ?? [];
  const evaluation = evaluateAsset(subjectOf(row.card, row.status, evidence), packs);
  await storeEvaluations(
    client,
    orgId,
    [
      {
        assetId,
        cardId: row.card.id as string | undefined,
        evaluation,
        previous: row.passed === null ? undefined : row,
      },
    ],
    trigger,
  );
  await recordOrgScore(client, orgId, trigger);
  return evaluation;
}

export interface RecomputeSummary {
  assets: number;
  packs: { id: string; version: string }[];
  /** assets whose results changed and were written */
  changed: number;
  orgScore: OrgScore;
  durationMs: number;
}

/** Re-evaluate every asset of the organization (after a pack change, or on request). */
export async function recomputeOrg(
  client: pg.PoolClient,
  orgId: string,
  trigger: string,
): Promise<RecomputeSummary> {
  const started = performance.now();
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RECOMPUTE_LOCK_CLASS, orgId]);
  const packs = await activePacks(client, orgId);
  // in slices by id: memory stays flat whatever the size of the organization
  const SLICE = 1000;
  let after = '00000000-0000-0000-0000-000000000000';
  let count = 0;
  let changedCount = 0;
  for (;;) {
    const assets = await client.query<
      { id: string; card: Record<string, unknown>; status: string } & Previous
    >(
      `SELECT a.id, a.card, a.status, c.score::text AS score, c.passed, c.failed, c.gaps, c.results_digest
         FROM asset_cards a LEFT JOIN asset_compliance c ON c.asset_id = a.id
        WHERE a.organization_id = $1 AND a.id > $2 ORDER BY a.id LIMIT $3`,
      [orgId, after, SLICE],
    );
    if (assets.rows.length === 0) break;
    const evidence = await evidenceFacts(
      client,
      orgId,
      assets.rows.map((r) => r.id),
    );
    const evaluations: Evaluated[] = assets.rows.map((row) => ({
      assetId: row.id,
      cardId: row.card.id as string | undefined,
      evaluation: evaluateAsset(subjectOf(row.card, row.status, evidence.get(row.id) ?? []), packs),
      previous: row.passed === null ? undefined : row,
    }));
    changedCount += await storeEvaluations(client, orgId, evaluations, trigger);
    count += assets.rows.length;
    after = assets.rows[assets.rows.length - 1]!.id;
    if (assets.rows.length < SLICE) break;
  }
  const score = await recordOrgScore(client, orgId, trigger);
  return {
    assets: count,
    packs: packs.map((p) => ({ id: p.id, version: p.version })),
    changed: changedCount,
    orgScore: score,
    durationMs: Math.round(performance.now() - started),
  };
}
