// Evidence records shared by the REST routes and GraphQL: the resource shape, reading an
// asset's evidence, and deletion (row, compliance re-evaluation and audit entry in one
// transaction; the stored object is removed once that committed). Uploads stay
// multipart/form-data on REST (routes.ts).
import type { Request } from 'express';
import type pg from 'pg';
import { HttpError } from '../../common/errors.js';
import { UUID_RE } from '../../common/tenancy.js';
import { getAssetOr404 } from '../assets/repo.js';
import { checkAssetKey } from '../assets/validation.js';
import { recomputeAsset } from '../compliance/engine.js';
import { audit, inOrg, type ApiDeps } from '../http/context.js';

export interface EvidenceRow {
  id: string;
  asset_id: string;
  card_id: string;
  kind: string;
  pack_id: string | null;
  control_id: string | null;
  filename: string;
  content_type: string;
  size_bytes: string;
  sha256: string;
  object_key: string;
  description: string | null;
  uploaded_by: string | null;
  created_at: Date;
}

const SELECT = `SELECT e.id, e.asset_id, a.card_id, e.kind, e.pack_id, e.control_id, e.filename, e.content_type,
  e.size_bytes::text AS size_bytes, e.sha256, e.object_key, e.description, e.uploaded_by, e.created_at
  FROM evidence e JOIN asset_cards a ON a.id = e.asset_id`;

/** Most evidence records one listing returns (REST lists up to this many). */
export const MAX_EVIDENCE_LIST = 1000;

export function toEvidenceResource(e: EvidenceRow) {
  return {
    id: e.id,
    assetId: e.card_id,
    kind: e.kind,
    packId: e.pack_id,
    controlId: e.control_id,
    filename: e.filename,
    contentType: e.content_type,
    size: Number(e.size_bytes),
    sha256: e.sha256,
    description: e.description,
    uploadedBy: e.uploaded_by,
    createdAt: e.created_at.toISOString(),
    downloadUrl: `/api/v1/evidence/${e.id}/download`,
  };
}
export type EvidenceResource = ReturnType<typeof toEvidenceResource>;

/** An id that cannot name evidence is simply not found. */
export function checkEvidenceKey(id: string): string {
  if (!UUID_RE.test(id)) throw new HttpError(404, 'NOT_FOUND', `no evidence ${id.slice(0, 64)}`);
  return id;
}

export async function findEvidence(c: pg.PoolClient, orgId: string, id: string): Promise<EvidenceRow> {
  const r = await c.query<EvidenceRow>(`${SELECT} WHERE e.organization_id = $1 AND e.id = $2`, [orgId, id]);
  if (!r.rows[0]) throw new HttpError(404, 'NOT_FOUND', `no evidence ${id}`);
  return r.rows[0];
}

/** GET /assets/:id/evidence: newest first (404 when the asset is not ours). */
export function listAssetEvidence(
  deps: ApiDeps,
  req: Request,
  key: string,
  limit = MAX_EVIDENCE_LIST,
): Promise<EvidenceResource[]> {
  checkAssetKey(key);
  return inOrg(deps, req, async (c, orgId) => {
    const asset = await getAssetOr404(c, orgId, key);
    const r = await c.query<EvidenceRow>(
      `${SELECT} WHERE e.organization_id = $1 AND e.asset_id = $2 ORDER BY e.created_at DESC, e.id DESC LIMIT $3`,
      [orgId, asset.id, Math.min(limit, MAX_EVIDENCE_LIST)],
    );
    return r.rows.map(toEvidenceResource);
  });
}

/** DELETE /evidence/:id: the record goes, the asset is re-evaluated, then the object is removed. */
export async function deleteEvidence(deps: ApiDeps, req: Request, id: string): Promise<EvidenceResource> {
  checkEvidenceKey(id);
  const row = await inOrg(deps, req, async (c, orgId) => {
    const e = await findEvidence(c, orgId, id);
    await c.query(`DELETE FROM evidence WHERE organization_id = $1 AND id = $2`, [orgId, id]);
    await recomputeAsset(c, orgId, e.asset_id, 'evidence.removed');
    await audit(c, req, {
      action: 'evidence.deleted',
      target: { type: 'evidence', id },
      before: { assetId: e.card_id, kind: e.kind, sha256: e.sha256 },
    });
    return e;
  });
  await deps.storage.client
    .removeObject(deps.storage.bucket, row.object_key)
    .catch((err: Error) => req.log.warn({ err: { message: err.message } }, 'evidence object not removed'));
  return toEvidenceResource(row);
}
