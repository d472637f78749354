// Compliance reports shared by the REST routes and GraphQL: generate one (built from the
// stored evaluations, stored in object storage, recorded with its SHA-256 and an audit
// entry), list and read the records.
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { sha256Hex } from '../../common/canonical-json.js';
import { HttpError } from '../../common/errors.js';
import { UUID_RE } from '../../common/tenancy.js';
import { principalOf } from '../auth/principal.js';
import { actorLabel, audit, inOrg, type ApiDeps } from '../http/context.js';
import { limitSchema } from '../http/pagination.js';
import { parseWith } from '../http/validate.js';
import { buildReport, renderHtml } from './build.js';

export interface ReportRow {
  id: string;
  format: 'json' | 'html';
  object_key: string;
  content_type: string;
  size_bytes: string;
  sha256: string;
  org_score: string | null;
  asset_count: number;
  created_by: string | null;
  created_at: Date;
}

export const toReportResource = (r: ReportRow) => ({
  id: r.id,
  format: r.format,
  contentType: r.content_type,
  size: Number(r.size_bytes),
  sha256: r.sha256,
  score: r.org_score === null ? null : Number(r.org_score),
  assets: r.asset_count,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  downloadUrl: `/api/v1/reports/${r.id}/download`,
});
export type ReportResource = ReturnType<typeof toReportResource>;

const COLUMNS = `id, format, object_key, content_type, size_bytes::text AS size_bytes, sha256, org_score::text AS org_score, asset_count, created_by, created_at`;
const createBody = z
  .object({
    format: z.enum(['json', 'html'], { message: 'must be json or html' }).default('html'),
    includeRetired: z.boolean().default(false),
  })
  .strict();
const listQuery = z.object({ limit: limitSchema(50) }).strict();

/** The stored report of the caller's organization; 404 for any other id. */
export function findReport(deps: ApiDeps, req: Request, id: string): Promise<ReportRow> {
  if (!UUID_RE.test(id)) throw new HttpError(404, 'NOT_FOUND', `no report ${id.slice(0, 64)}`);
  return inOrg(deps, req, async (c, orgId) => {
    const r = await c.query<ReportRow>(
      `SELECT ${COLUMNS} FROM compliance_reports WHERE organization_id = $1 AND id = $2`,
      [orgId, id],
    );
    if (!r.rows[0]) throw new HttpError(404, 'NOT_FOUND', `no report ${id}`);
    return r.rows[0];
  });
}

/** POST /reports: `{ format?: json | html, includeRetired?: boolean }`. */
export async function generateReport(deps: ApiDeps, req: Request, input: unknown): Promise<ReportRow> {
  const { format, includeRetired } = parseWith(createBody, input, 'body');
  const orgId = principalOf(req).orgId;
  const report = await inOrg(deps, req, (c) => buildReport(c, orgId, actorLabel(req), includeRetired));
  const body = Buffer.from(
    format === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderHtml(report),
    'utf8',
  );
  const contentType = format === 'json' ? 'application/json' : 'text/html; charset=utf-8';
  const id = randomUUID();
  const objectKey = `reports/${orgId}/${id}.${format}`;
  const sha256 = sha256Hex(body);
  await deps.storage.client.putObject(deps.storage.bucket, objectKey, body, body.length, {
    'Content-Type': contentType,
    'x-amz-meta-sha256': sha256,
  });
  try {
    return await inOrg(deps, req, async (c) => {
      const r = await c.query<ReportRow>(
        `INSERT INTO compliance_reports (id, organization_id, format, object_key, content_type, size_bytes, sha256, org_score, asset_count, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
        [
          id,
          orgId,
          format,
          objectKey,
          contentType,
          body.length,
          sha256,
          report.score,
          report.assets.length,
          actorLabel(req),
        ],
      );
      await audit(c, req, {
        action: 'report.generated',
        target: { type: 'report', id },
        after: { format, sha256, score: report.score },
      });
      return r.rows[0]!;
    });
  } catch (err) {
    await deps.storage.client.removeObject(deps.storage.bucket, objectKey).catch(() => undefined);
    throw err;
  }
}

/** GET /reports: `{ limit? }`, newest first. */
export async function listReports(deps: ApiDeps, req: Request, input: unknown): Promise<ReportRow[]> {
  const { limit } = parseWith(listQuery, input, 'query');
  const rows = await inOrg(deps, req, (c, orgId) =>
    c.query<ReportRow>(
      `SELECT ${COLUMNS} FROM compliance_reports WHERE organization_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [orgId, limit],
    ),
  );
  return rows.rows;
}
