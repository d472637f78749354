// Read-only facts about an asset card for other services (the CA refuses to certify an
// asset that is not registered or not compliant). The caller passes a client bound to
// the organization (withOrg); the query also names the organization explicitly.
import { UUID_RE, type Queryable } from './tenancy.js';

export type AssetStatus = 'draft' | 'registered' | 'retired';

export interface FailingControl {
  packId: string;
  controlId: string;
  status: 'fail' | 'gap';
  reason: string;
}

export interface AssetCertificationFacts {
  /** The asset card id (AIGRC id such as aigrc-2025-0a1b2c3d). */
  id: string;
  name: string;
  status: AssetStatus;
  /** 0..100 over the applicable controls of the organization's active packs; null when none applies or not evaluated yet. */
  complianceScore: number | null;
  /** Applicable controls that did not pass at the last evaluation. */
  failingControls: FailingControl[];
}

/** Stored per-control outcome: [packId, controlId, p|f|g|n, reason (fail and gap only)]. */
type StoredResult = [string, string, 'p' | 'f' | 'g' | 'n', string?];

/**
 * Facts of one asset, found by its card id (or its internal UUID); undefined when the
 * organization has no such asset (another organization's asset is not found either).
 */
export async function getAssetCertificationFacts(
  client: Queryable,
  orgId: string,
  assetId: string,
): Promise<AssetCertificationFacts | undefined> {
  const uuid = UUID_RE.test(assetId) ? assetId : null;
  const r = await client.query<{
    card_id: string;
    name: string;
    status: AssetStatus;
    score: string | null;
    results: StoredResult[] | null;
  }>(
    `SELECT a.card_id, a.name, a.status, c.score::text AS score, c.results
       FROM asset_cards a LEFT JOIN asset_compliance c ON c.asset_id = a.id
      WHERE a.organization_id = $1 AND (a.card_id = $2 OR a.id = $3::uuid)
      LIMIT 1`,
    [orgId, assetId, uuid],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    id: row.card_id,
    name: row.name,
    status: row.status,
    complianceScore: row.score === null ? null : Number(row.score),
    failingControls: (row.results ?? [])
      .filter(([, , code]) => code === 'f' || code === 'g')
      .map(([packId, controlId, code, reason]) => ({
        packId,
        controlId,
        status: code === 'f' ? ('fail' as const) : ('gap' as const),
        reason: reason ?? '',
      })),
  };
}
