// Resolvers of /graphql. They authorize with the REST guards themselves (allow(scope,
// role) run against the request), call the same repositories and services as the REST
// routes (asset cards, compliance, the events store and push service, checkpoints, the
// audit trail, certificates), and count mutations in the same rate-limit windows.
import type { Request, Response } from 'express';
import { GraphQLScalarType, valueFromASTUntyped } from 'graphql';
import type pg from 'pg';
import { AUDIT_COLUMNS, toAuditRecord } from '../../common/audit.js';
import { HttpError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Redis } from '../../common/redis.js';
import { withOrg } from '../../common/tenancy.js';
import { listAssets, findAsset, toResource, type AssetRow } from '../assets/repo.js';
import { allow, principalOf, type Role, type Scope } from '../auth/principal.js';
import { orgScore } from '../compliance/engine.js';
import type { Checkpoints } from '../events/checkpoints.js';
import { rateKeyOf } from '../events/routes.js';
import { pushBatch, pushEvent, type EventsService } from '../events/service.js';
import type { EventFilters, EventStore, StoredEvent } from '../events/store.js';
import type { SlidingWindowLimiter } from '../ratelimit/sliding-window.js';

export interface GraphqlDeps {
  pool: pg.Pool;
  store: EventStore;
  checkpoints: Checkpoints;
  limiter: SlidingWindowLimiter;
  limits: { windowMs: number; push: number; batch: number };
  redis?: Redis;
  log: Logger;
}

export interface GraphqlContext {
  req: Request;
  res: Response;
}

const MAX_LIMIT = 1000;

/** The REST guard, run against this request: throws 401/403 HttpErrors. */
function guard(ctx: GraphqlContext, scope: Scope, role: Role = 'viewer'): string {
  for (const check of allow(scope, role)) void check(ctx.req, ctx.res, () => undefined);
  return principalOf(ctx.req).orgId;
}

function page(limit: number | undefined, offset?: number): { limit: number; offset: number } {
  const l = limit ?? 20;
  const o = offset ?? 0;
  if (!Number.isInteger(l) || l < 1 || l > MAX_LIMIT)
    throw new HttpError(400, 'BAD_USER_INPUT', `limit must be between 1 and ${MAX_LIMIT}`);
  if (!Number.isInteger(o) || o < 0) throw new HttpError(400, 'BAD_USER_INPUT', 'offset must be 0 or more');
  return { limit: l, offset: o };
}

async function limitOrThrow(deps: GraphqlDeps, req: Request, route: string, max: number): Promise<void> {
  if (max <= 0) return;
  let d;
  try {
    d = await deps.limiter.hit(`${route}:${rateKeyOf(req)}`, max, deps.limits.windowMs);
  } catch {
    return; // fail open, as the REST limiter does
  }
  if (!d.allowed) {
    const retryAfter = Math.max(1, Math.ceil((d.resetMs - d.nowMs) / 1000));
    throw new HttpError(
      429,
      'RATE_LIMITED',
      `rate limit of ${d.limit} requests per window reached; retry after ${retryAfter} s`,
      [{ retryAfter }],
    );
  }
}

const eventView = (e: StoredEvent) => ({ ...e, raw: e });

function assetView(row: AssetRow) {
  const r = toResource(row);
  const card = r as unknown as { name?: string; classification?: { riskLevel?: string } };
  return {
    id: r.id,
    name: card.name ?? r.id,
    status: r.status,
    revision: r.revision,
    riskLevel: card.classification?.riskLevel ?? null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    compliance: r.compliance,
    card: r,
  };
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables ?? undefined),
});

export function resolvers(deps: GraphqlDeps) {
  const svc: EventsService = { store: deps.store, redis: deps.redis };
  const listEvents = (
    orgId: string,
    filter: Partial<EventFilters> | undefined,
    limit?: number,
    offset?: number,
  ) => {
    const p = page(limit, offset);
    for (const k of ['since', 'until'] as const) {
      const v = filter?.[k];
      if (v && Number.isNaN(Date.parse(v)))
        throw new HttpError(400, 'BAD_USER_INPUT', `${k} must be an ISO 8601 date-time`);
    }
    return deps.store
      .list(orgId, { ...(filter ?? {}), ...p })
      .then((r) => ({ events: r.events.map(eventView), total: r.total, ...p }));
  };

  return {
    JSON: JSONScalar,
    Query: {
      viewer: (_: unknown, __: unknown, ctx: GraphqlContext) => {
        const p = principalOf(ctx.req);
        return {
          orgId: p.orgId,
          orgSlug: p.orgSlug ?? null,
          kind: p.kind,
          role: p.role,
          scopes: p.scopes,
          userId: p.userId ?? null,
        };
      },

      organization: async (_: unknown, __: unknown, ctx: GraphqlContext) => {
        const orgId = guard(ctx, 'org:read');
        return withOrg(deps.pool, orgId, async (c) => {
          const org = await c.query<{ id: string; slug: string; name: string; plan: string }>(
            `SELECT id, slug, name, plan FROM organizations WHERE id = $1`,
            [orgId],
          );
          const counts = await c.query<{
            assets: string;
            events: string | null;
            event_assets: string;
            last_event: Date | null;
            audit: string | null;
            certs: string;
          }>(
            `SELECT (SELECT count(*) FROM asset_cards WHERE organization_id = $1) AS assets,
                    (SELECT sum(event_count) FROM governance_event_assets WHERE organization_id = $1) AS events,
                    (SELECT count(*) FROM governance_event_assets WHERE organization_id = $1) AS event_assets,
                    (SELECT max(last_event_at) FROM governance_event_assets WHERE organization_id = $1) AS last_event,
                    (SELECT max(seq) FROM audit_log WHERE organization_id = $1) AS audit,
                    (SELECT count(*) FROM certificates WHERE organization_id = $1 AND status = 'active' AND not_after > now()) AS certs`,
            [orgId],
          );
          const n = counts.rows[0]!;
          const latest = await deps.checkpoints.list(orgId, 1, 0);
          return {
            ...org.rows[0]!,
            compliance: await orgScore(c, orgId),
            assetCount: Number(n.assets),
            eventCount: Number(n.events ?? 0),
            eventAssetCount: Number(n.event_assets),
            lastEventAt: n.last_event?.toISOString() ?? null,
            latestCheckpoint: latest.checkpoints[0] ?? null,
            auditEntryCount: Number(n.audit ?? 0),
            activeCertificateCount: Number(n.certs),
          };
        });
      },

      assets: async (
        _: unknown,
        a: { limit?: number; cursor?: string; search?: string; status?: string },
        ctx: GraphqlContext,
      ) => {
        const orgId = guard(ctx, 'assets:read');
        const { limit } = page(a.limit);
        const result = await withOrg(deps.pool, orgId, (c) =>
          listAssets(
            c,
            orgId,
            { q: a.search, status: a.status ? [a.status] : undefined },
            '-createdAt',
            limit,
            a.cursor,
          ),
        );
        return { items: result.rows.map(assetView), nextCursor: result.nextCursor, limit };
      },

      asset: async (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
        const orgId = guard(ctx, 'assets:read');
        const row = await withOrg(deps.pool, orgId, (c) => findAsset(c, orgId, a.id));
        return row ? assetView(row) : null;
      },

      events: (
        _: unknown,
        a: { filter?: Partial<EventFilters>; limit?: number; offset?: number },
        ctx: GraphqlContext,
      ) => listEvents(guard(ctx, 'events:read'), a.filter, a.limit, a.offset),

      event: async (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
        const e = await deps.store.get(guard(ctx, 'events:read'), a.id);
        return e ? eventView(e) : null;
      },

      eventAssets: async (_: unknown, a: { limit?: number; offset?: number }, ctx: GraphqlContext) => {
        const orgId = guard(ctx, 'assets:read');
        const p = page(a.limit, a.offset);
        return { ...(await deps.store.assets(orgId, p.limit, p.offset)), ...p };
      },

      integrityCheckpoints: async (
        _: unknown,
        a: { limit?: number; offset?: number },
        ctx: GraphqlContext,
      ) => {
        const orgId = guard(ctx, 'events:read');
        const p = page(a.limit, a.offset);
        return { ...(await deps.checkpoints.list(orgId, p.limit, p.offset)), ...p };
      },

      auditEntries: async (
        _: unknown,
        a: { limit?: number; beforeSeq?: number; action?: string },
        ctx: GraphqlContext,
      ) => {
        const orgId = guard(ctx, 'audit:read');
        const { limit } = page(a.limit ?? 50);
        const rows = await withOrg(deps.pool, orgId, (c) =>
          c.query(
            `SELECT ${AUDIT_COLUMNS} FROM audit_log
              WHERE organization_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND ($3::text IS NULL OR action = $3)
              ORDER BY seq DESC LIMIT $4`,
            [orgId, a.beforeSeq ?? null, a.action ?? null, limit],
          ),
        );
        return {
          limit,
          entries: rows.rows.map((r) => {
            const x = toAuditRecord(r);
            return {
              id: x.id,
              seq: x.seq,
              occurredAt: x.occurredAt,
              actorType: x.actor.type,
              actorId: x.actor.id,
              actorLabel: x.actor.label,
              action: x.action,
              targetType: x.target.type,
              targetId: x.target.id,
              requestId: x.requestId,
              hash: x.hash,
              prevHash: x.prevHash,
            };
          }),
        };
      },

      certificates: async (
        _: unknown,
        a: { limit?: number; offset?: number; assetId?: string; status?: string },
        ctx: GraphqlContext,
      ) => {
        const orgId = guard(ctx, 'certificates:read');
        const p = page(a.limit, a.offset);
        return withOrg(deps.pool, orgId, async (c) => {
          const params = [orgId, a.assetId ?? null, a.status ?? null];
          const where = `organization_id = $1 AND ($2::text IS NULL OR asset_id = $2) AND ($3::text IS NULL OR status = $3)`;
          const rows = await c.query<Record<string, unknown>>(
            `SELECT id, asset_id, serial, subject, governance_level, compliance_score::float8 AS compliance_score, status,
                    not_before, not_after, issued_at, revoked_at, revocation_reason
               FROM certificates WHERE ${where} ORDER BY issued_at DESC, id DESC LIMIT ${p.limit} OFFSET ${p.offset}`,
            params,
          );
          const total = await c.query<{ n: string }>(
            `SELECT count(*) AS n FROM certificates WHERE ${where}`,
            params,
          );
          const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);
          return {
            ...p,
            total: Number(total.rows[0]?.n ?? 0),
            certificates: rows.rows.map((r) => ({
              id: r.id,
              assetId: r.asset_id,
              serial: r.serial,
              subject: r.subject,
              governanceLevel: r.governance_level,
              complianceScore: r.compliance_score,
              status: r.status,
              notBefore: iso(r.not_before),
              notAfter: iso(r.not_after),
              issuedAt: iso(r.issued_at),
              revokedAt: iso(r.revoked_at),
              revocationReason: r.revocation_reason,
            })),
          };
        });
      },
    },

    Asset: {
      events: (asset: { id: string }, a: { limit?: number; offset?: number }, ctx: GraphqlContext) =>
        listEvents(guard(ctx, 'events:read'), { assetId: asset.id }, a.limit, a.offset),
    },

    Mutation: {
      pushEvent: async (_: unknown, a: { event: unknown }, ctx: GraphqlContext) => {
        guard(ctx, 'events:write', 'editor');
        if ((a.event as { criticality?: unknown } | null)?.criticality !== 'critical')
          await limitOrThrow(deps, ctx.req, 'events:push', deps.limits.push);
        const { status, body } = await pushEvent(svc, ctx.req, a.event);
        return { ...body, created: status === 201, warnings: body.warnings ?? [] };
      },

      pushEvents: async (_: unknown, a: { events: unknown[] }, ctx: GraphqlContext) => {
        guard(ctx, 'events:write', 'editor');
        await limitOrThrow(deps, ctx.req, 'events:batch', deps.limits.batch);
        return pushBatch(svc, ctx.req, a.events);
      },

      createIntegrityCheckpoint: (_: unknown, __: unknown, ctx: GraphqlContext) =>
        deps.checkpoints.compute(guard(ctx, 'events:write', 'editor'), 'on-demand'),
    },
  };
}
