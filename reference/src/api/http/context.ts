// Per-request helpers shared by the routes: the organization-bound transaction, the
// audit context (actor, source address, request id) and the api's dependencies.
import type { Express, Request } from 'express';
import type pg from 'pg';
import type { Logger } from '../../common/logger.js';
import type { Storage } from '../../common/storage.js';
import { appendAudit, type AuditEntryInput } from '../../common/audit.js';
import { publishOrgEvent, queueOrgEvent, takeQueuedOrgEvents } from '../../common/realtime.js';
import type { Redis } from '../../common/redis.js';
import { withOrg } from '../../common/tenancy.js';
import { auditActor, principalOf } from '../auth/principal.js';

export interface ApiDeps {
  pool: pg.Pool;
  storage: Storage;
  log: Logger;
  evidenceMaxBytes: number;
  publicUrl: string;
  /** Live updates to dashboards; absent in operator commands. */
  redis?: Redis;
}

/**
 * Make the api's dependencies reachable from every request of the app: GraphQL resolvers
 * call the same services as the REST routes and find what those need here.
 */
export function provideApiDeps(app: Express, deps: ApiDeps): void {
  app.locals.apiDeps = deps;
}

/** The dependencies registered with provideApiDeps (a programming error when missing). */
export function apiDepsOf(req: Request): ApiDeps {
  const deps = req.app.locals.apiDeps as ApiDeps | undefined;
  if (!deps) throw new Error('the api dependencies are not registered on this app');
  return deps;
}

/** Run fn in a transaction bound to the caller's organization (read-only for GET). */
export function inOrg<T>(
  deps: ApiDeps,
  req: Request,
  fn: (client: pg.PoolClient, orgId: string) => Promise<T>,
): Promise<T> {
  const orgId = principalOf(req).orgId;
  const readOnly = req.method === 'GET' || req.method === 'HEAD';
  let queued: ReturnType<typeof takeQueuedOrgEvents> = [];
  const result = withOrg(
    deps.pool,
    orgId,
    async (client) => {
      try {
        return await fn(client, orgId);
      } finally {
        queued = takeQueuedOrgEvents(client);
      }
    },
    { readOnly },
  );
  // announced once committed: a rolled-back change never reaches a dashboard
  return result.then((value) => {
    const redis = deps.redis;
    if (redis) for (const q of queued) void publishOrgEvent(redis, q.orgId, q.channel, q.payload);
    return value;
  });
}

/** Append an audit entry for the caller's action, inside the same transaction. */
export function audit(
  client: pg.PoolClient,
  req: Request,
  entry: Pick<AuditEntryInput, 'action' | 'target' | 'before' | 'after'>,
): Promise<unknown> {
  const p = principalOf(req);
  const actor = auditActor(p);
  return appendAudit(client, {
    orgId: p.orgId,
    actor,
    sourceAddress: req.ip,
    requestId: req.id,
    ...entry,
  }).then((appended) => {
    queueOrgEvent(client, p.orgId, 'audit', {
      seq: appended.seq,
      action: entry.action,
      target: entry.target,
      actor: { type: actor.type, label: actor.label },
      occurredAt: new Date().toISOString(),
    });
    return appended;
  });
}

/** How the caller is recorded in created_by columns. */
export function actorLabel(req: Request): string {
  return auditActor(principalOf(req)).label;
}
