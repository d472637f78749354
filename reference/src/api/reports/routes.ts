// Compliance report routes: generate (JSON or HTML, stored in object storage), list,
// read the metadata, download. Generating, listing and reading are in service.ts, shared
// with GraphQL.
import express, { type Router } from 'express';
import { sendError } from '../../common/errors.js';
import { allow } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import type { ApiDeps } from '../http/context.js';
import { bodyOf } from '../http/validate.js';
import { contentDisposition } from '../evidence/routes.js';
import { findReport, generateReport, listReports, toReportResource } from './service.js';

export function reportsRouter(deps: ApiDeps): Router {
  const router = express.Router();

  const find = (req: express.Request) => findReport(deps, req, String(req.params.reportId ?? ''));

  router.post('/reports', ...allow('reports:write', 'editor'), ...jsonBody(), async (req, res) => {
    const row = await generateReport(deps, req, bodyOf(req));
    res.status(201).location(`/api/v1/reports/${row.id}`).json(toReportResource(row));
  });

  router.get('/reports', ...allow('reports:read'), async (req, res) => {
    const rows = await listReports(deps, req, { ...req.query });
    res.json({ items: rows.map(toReportResource) });
  });

  router.get('/reports/:reportId', ...allow('reports:read'), async (req, res) => {
    res.json(toReportResource(await find(req)));
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
    res.setHeader(
      'Content-Disposition',
      contentDisposition(`compliance-report-${row.created_at.toISOString().slice(0, 10)}.${row.format}`),
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    res.setHeader('X-Checksum-SHA256', row.sha256);
    stream.on('error', (err: Error) => res.destroy(err));
    stream.pipe(res);
  });

  return router;
}
