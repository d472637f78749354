// The audit trail: list (newest first, keyset by sequence number), verify the hash chain
// (names the first broken link), and export as NDJSON with the chain fields so anyone
// can recompute it (algorithm in reference/src/common/audit.ts).
import express, { type Router } from 'express';
import { z } from 'zod';
import {
  AUDIT_COLUMNS,
  readAuditChain,
  toAuditRecord,
  verifyAuditChain,
  CHAIN_ALGORITHM,
} from '../../common/audit.js';
import { allow } from '../auth/principal.js';
import { inOrg, type ApiDeps } from '../http/context.js';
import { limitSchema } from '../http/pagination.js';
import { parseQuery } from '../http/validate.js';

const listQuery = z
  .object({
    limit: limitSchema(50),
    before: z.coerce.number().int().min(1).optional(),
    action: z.string().max(100).optional(),
    actorType: z.enum(['user', 'api-key', 'system', 'operator']).optional(),
    targetType: z.string().max(100).optional(),
    targetId: z.string().max(200).optional(),
  })
  .strict();

export function auditRouter(deps: ApiDeps): Router {
  const router = express.Router();

  router.get('/audit', ...allow('audit:read', 'admin'), async (req, res) => {
    const q = parseQuery(listQuery, req);
    const rows = await inOrg(deps, req, (c, orgId) =>
      c.query(
        `SELECT ${AUDIT_COLUMNS} FROM audit_log
          WHERE organization_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND ($3::text IS NULL OR action = $3)
            AND ($4::text IS NULL OR actor_type = $4) AND ($5::text IS NULL OR target_type = $5) AND ($6::text IS NULL OR target_id = $6)
          ORDER BY seq DESC LIMIT $7`,
        [
          orgId,
          q.before ?? null,
          q.action ?? null,
          q.actorType ?? null,
          q.targetType ?? null,
          q.targetId ?? null,
          q.limit + 1,
        ],
      ),
    );
    const items = rows.rows.slice(0, q.limit).map(toAuditRecord);
    res.json({
      items,
      nextBefore: rows.rows.length > q.limit ? items[items.length - 1]!.seq : null,
      limit: q.limit,
    });
  });

  router.get('/audit/verify', ...allow('audit:read', 'admin'), async (req, res) => {
    const result = await inOrg(deps, req, (c, orgId) => verifyAuditChain(c, orgId));
    res.json(result);
  });

  router.get('/audit/export', ...allow('audit:read', 'admin'), async (req, res) => {
    parseQuery(z.object({}).strict(), req);
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="audit-trail.ndjson"');
    res.setHeader('X-Audit-Chain-Algorithm', CHAIN_ALGORITHM);
    await inOrg(deps, req, async (c, orgId) => {
      for await (const record of readAuditChain(c, orgId)) {
        if (!res.write(JSON.stringify(record) + '\n')) await new Promise((r) => res.once('drain', r));
        if (res.destroyed) break;
      }
    });
    res.end();
  });

  return router;
}
