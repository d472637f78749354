// Compliance report routes: generate (JSON or HTML, stored in object storage), list,
// read the metadata, download.
import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { z } from 'zod';
import { sha256Hex } from '../../common/canonical-json.js';
import { HttpError, sendError } from '../../common/errors.js';
import { UUID_RE } from '../../common/tenancy.js';
import { allow } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import { actorLabel, audit, inOrg, type ApiDeps } from '../http/context.js';
import { limitSchema } from '../http/pagination.js';
import { parseBody, parseQuery } from '../http/validate.js';
import { contentDisposition } from '../evidence/routes.js';
import { buildReport, renderHtml } from './build.js';

interface ReportRow {
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

const toResource = (r: ReportRow) => ({
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

const COLUMNS = `id, format, object_key, content_type, size_bytes::text AS size_bytes, sha256, org_score::text AS org_score, asset_count, created_by, created_at`;
const createBody = z.object({ format: z.enum(['json', 'html'], { message: 'must be json or html' }).default('html'), includeRetired: z.boolean().default(false) }).strict();
const listQuery = z.object({ limit: limitSchema(50) }).strict();

export function reportsRouter(deps: ApiDeps): Router {
  const router = express.Router();

  const find = (req: express.Request) => {
    const id = String(req.params.reportId ?? '');
    if (!UUID_RE.test(id)) throw new HttpError(404, 'NOT_FOUND', `no report ${id.slice(0, 64)}`);
    return inOrg(deps, req, async (c, orgId) => {
      const r = await c.query<ReportRow>(`SELECT ${COLUMNS} FROM compliance_reports WHERE organization_id = $1 AND id = $2`, [orgId, id]);
      if (!r.rows[0]) throw new HttpError(404, 'NOT_FOUND', `no report ${id}`);
      return r.rows[0];
    });
  };

  router.post('/reports', ...allow('reports:write', 'editor'), jsonBody(), async (req, res) => {
    const { format, includeRetired } = parseBody(createBody, req);
    const orgId = req.principal!.orgId;
    const report = await inOrg(deps, req, (c) => buildReport(c, orgId, actorLabel(req), includeRetired));
    const body = Buffer.from(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderHtml(report), 'utf8');
    const contentType = format === 'json' ? 'application/json' : 'text/html; charset=utf-8';
    const id = randomUUID();
    const objectKey = `reports/${orgId}/${id}.${format}`;
    const sha256 = sha256Hex(body);
    await deps.storage.client.putObject(deps.storage.bucket, objectKey, body, body.length, { 'Content-Type': contentType, 'x-amz-meta-sha256': sha256 });
    try {
      const row = await inOrg(deps, req, async (c) => {
        const r = await c.query<ReportRow>(
          `INSERT INTO compliance_reports (id, organization_id, format, object_key, content_type, size_bytes, sha256, org_score, asset_count, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
          [id, orgId, format, objectKey, contentType, body.length, sha256, report.score, report.assets.length, actorLabel(req)],
        );
        await audit(c, req, { action: 'report.generated', target: { type: 'report', id }, after: { format, sha256, score: report.score } });
        return r.rows[0]!;
      });
      res.status(201).location(`/api/v1/reports/${id}`).json(toResource(row));
    } catch (err) {
      await deps.storage.client.removeObject(deps.storage.bucket, objectKey).catch(() => undefined);
      throw err;
    }
  });

  router.get('/reports', ...allow('reports:read'), async (req, res) => {
    const { limit } = parseQuery(listQuery, req);
    const items = await inOrg(deps, req, (c, orgId) =>
      c.query<ReportRow>(`SELECT ${COLUMNS} FROM compliance_reports WHERE organization_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [orgId, limit]),
    );
    res.json({ items: items.rows.map(toResource) });
  });

  router.get('/reports/:reportId', ...allow('reports:read'), async (req, res) => {
    res.json(toResource(await find(req)));
  });

  router.get('/reports/:reportId/download', ...allow('reports:read'), async (req, res) => {
    const row = await find(req);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await deps.storage.client.getObject(deps.storage.bucket, row.object_key);
    } catch (err) {
      req.log.error({ err: { message: (err as Error).message } }, 'report object unavailable');
      return sendError(res, 502, 'STORAGE_UNAVAILABLE', 'the report could not be read from object storage');
    }
    res.setHeader('Content-Type', row.content_type);
    res.setHeader('Content-Length', row.size_bytes);
    res.setHeader('Content-Disposition', contentDisposition(`compliance-report-${row.created_at.toISOString().slice(0, 10)}.${row.format}`));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    res.setHeader('X-Checksum-SHA256', row.sha256);
    stream.on('error', (err: Error) => res.destroy(err));
    stream.pipe(res);
  });

  return router;
}
