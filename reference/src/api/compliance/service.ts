// Compliance views and the on-demand evaluation, shared by the REST routes and GraphQL:
// the organization's summary, one asset's per-control results, the score history (trend)
// and a re-evaluation of every asset with its audit entry.
import type { Request } from 'express';
import { z } from 'zod';
import { getAssetOr404 } from '../assets/repo.js';
import { checkAssetKey } from '../assets/validation.js';
import { audit, inOrg, type ApiDeps } from '../http/context.js';
import { isoDateTime } from '../http/datetime.js';
import { limitSchema } from '../http/pagination.js';
import { parseWith } from '../http/validate.js';
import { listPacks } from '../policies/service.js';
import { activePacks, orgScore, recomputeOrg, type RecomputeSummary } from './engine.js';
import { expand, type StoredResult } from './results.js';

const historyQuery = z
  .object({
    assetId: z.string().max(128).optional(),
    since: isoDateTime.optional(),
    bucket: z.enum(['hour', 'day', 'week'], { message: 'must be hour, day or week' }).optional(),
    limit: limitSchema(100),
  })
  .strict();

/** GET /compliance/summary: score, control counts, scores by risk level, active packs. */
export function complianceSummary(deps: ApiDeps, req: Request) {
  return inOrg(deps, req, async (c, orgId) => {
    const score = await orgScore(c, orgId);
    const packs = await listPacks(c, orgId, true);
    const byRisk = await c.query<{ risk_level: string; assets: string; score: string | null }>(
      `SELECT a.risk_level, count(*)::text AS assets, round(avg(s.score), 2)::text AS score
         FROM asset_cards a LEFT JOIN asset_compliance s ON s.asset_id = a.id
        WHERE a.organization_id = $1 AND a.status <> 'retired' GROUP BY a.risk_level ORDER BY a.risk_level`,
      [orgId],
    );
    const last = await c.query<{ evaluated_at: Date | null }>(
      `SELECT max(evaluated_at) AS evaluated_at FROM asset_compliance WHERE organization_id = $1`,
      [orgId],
    );
    return {
      score: score.score,
      assets: score.assets,
      controls: { passed: score.passed, failed: score.failed, gaps: score.gaps },
      byRiskLevel: byRisk.rows.map((r) => ({
        riskLevel: r.risk_level,
        assets: Number(r.assets),
        score: r.score === null ? null : Number(r.score),
      })),
      packs: packs.map((p) => ({ id: p.id, version: p.version, name: p.name, controls: p.controls })),
      evaluatedAt: last.rows[0]?.evaluated_at?.toISOString() ?? null,
    };
  });
}

/** GET /compliance/assets/:id: the asset's per-control results (pass | fail | gap, reason). */
export function assetCompliance(deps: ApiDeps, req: Request, key: string) {
  checkAssetKey(key);
  return inOrg(deps, req, async (c, orgId) => {
    const asset = await getAssetOr404(c, orgId, key);
    const r = await c.query<{
      score: string | null;
      passed: number;
      failed: number;
      gaps: number;
      not_applicable: number;
      results: StoredResult[];
      evaluated_at: Date;
    }>(
      `SELECT score::text AS score, passed, failed, gaps, not_applicable, results, evaluated_at
         FROM asset_compliance WHERE organization_id = $1 AND asset_id = $2`,
      [orgId, asset.id],
    );
    const row = r.rows[0];
    return {
      assetId: asset.card_id,
      status: asset.status,
      score: row?.score == null ? null : Number(row.score),
      passed: row?.passed ?? 0,
      failed: row?.failed ?? 0,
      gaps: row?.gaps ?? 0,
      notApplicable: row?.not_applicable ?? 0,
      evaluatedAt: row?.evaluated_at.toISOString() ?? null,
      results: expand(row?.results, await activePacks(c, orgId)),
    };
  });
}

/**
 * GET /compliance/history: `{ assetId?, since?, bucket?: hour | day | week, limit? }`, the
 * organization's (or one asset's) score points, newest first, one per bucket.
 */
export async function complianceHistory(deps: ApiDeps, req: Request, input: unknown) {
  const q = parseWith(historyQuery, input, 'query');
  const items = await inOrg(deps, req, async (c, orgId) => {
    const assetUuid = q.assetId ? (await getAssetOr404(c, orgId, q.assetId)).id : null;
    const bucketExpr = q.bucket ? `date_trunc('${q.bucket}', recorded_at)` : 'recorded_at';
    const r = await c.query<{
      at: Date;
      score: string | null;
      passed: number;
      failed: number;
      gaps: number;
      assets: number | null;
      trigger: string;
    }>(
      `SELECT DISTINCT ON (${bucketExpr}) ${bucketExpr} AS at, score::text AS score, passed, failed, gaps, assets, trigger
         FROM compliance_history
        WHERE organization_id = $1 AND asset_id IS NOT DISTINCT FROM $2::uuid AND ($3::timestamptz IS NULL OR recorded_at >= $3)
        ORDER BY ${bucketExpr} DESC, recorded_at DESC, id DESC
        LIMIT $4`,
      [orgId, assetUuid, q.since ?? null, q.limit],
    );
    return r.rows.map((h) => ({
      at: h.at.toISOString(),
      score: h.score === null ? null : Number(h.score),
      passed: h.passed,
      failed: h.failed,
      gaps: h.gaps,
      ...(h.assets === null ? {} : { assets: h.assets }),
      trigger: h.trigger,
    }));
  });
  return { assetId: q.assetId ?? null, bucket: q.bucket ?? null, items };
}

/** POST /compliance/evaluate: re-evaluate every asset now, with an audit entry. */
export function evaluateCompliance(deps: ApiDeps, req: Request): Promise<RecomputeSummary> {
  return inOrg(deps, req, async (c, orgId) => {
    const s = await recomputeOrg(c, orgId, 'manual');
    await audit(c, req, {
      action: 'compliance.evaluated',
      target: { type: 'organization', id: orgId },
      after: { assets: s.assets, score: s.orgScore.score },
    });
    return s;
  });
}
