// Per-request helpers shared by the routes: the organization-bound transaction, the
// audit context (actor, source address, request id) and the api's dependencies.
import type { Request } from 'express';
import type pg from 'pg';
import type { Logger } from '../../common/logger.js';
import type { Storage } from '../../common/storage.js';
import { appendAudit, type AuditEntryInput } from '../../common/audit.js';
import { withOrg } from '../../common/tenancy.js';
import { auditActor, principalOf } from '../auth/principal.js';

export interface ApiDeps {
  pool: pg.Pool;
  storage: Storage;
  log: Logger;
  evidenceMaxBytes: number;
  publicUrl: string;
}

/** Run fn in a transaction bound to the caller's organization (read-only for GET). */
export function inOrg<T>(
  deps: ApiDeps,
  req: Request,
  fn: (client: pg.PoolClient, orgId: string) => Promise<T>,
): Promise<T> {
  const orgId = principalOf(req).orgId;
  const readOnly = req.method === 'GET' || req.method === 'HEAD';
  return withOrg(deps.pool, orgId, (client) => fn(client, orgId), { readOnly });
}

/** Append an audit entry for the caller's action, inside the same transaction. */
export function audit(
  client: pg.PoolClient,
  req: Request,
  entry: Pick<AuditEntryInput, 'action' | 'target' | 'before' | 'after'>,
): Promise<unknown> {
  const p = principalOf(req);
  return appendAudit(client, {
    orgId: p.orgId,
    actor: auditActor(p),
    sourceAddress: req.ip,
    requestId: req.id,
    ...entry,
  });
}

/** How the caller is recorded in created_by columns. */
export function actorLabel(req: Request): string {
  return auditActor(principalOf(req)).label;
}
