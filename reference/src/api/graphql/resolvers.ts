// Resolvers of /graphql. They authorize with the REST guards themselves (allow(scope,
// role) run against the request, with the scope and role of the route they mirror), call
// the same repositories and services as the REST routes (asset cards, policy packs,
// compliance, evidence, reports, the events store and push service, checkpoints, the
// audit trail, certificates), and count event pushes in the same rate-limit windows. The
// services validate their input as REST does; their field problems come back as
// BAD_USER_INPUT naming the argument path (withInput).
import type { Request, Response } from 'express';
import { GraphQLScalarType, valueFromASTUntyped } from 'graphql';
import type pg from 'pg';
import { AUDIT_COLUMNS, toAuditRecord } from '../../common/audit.js';
import { HttpError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Redis } from '../../common/redis.js';
import { withOrg } from '../../common/tenancy.js';
import { listAssets, findAsset, toResource, type AssetRow } from '../assets/repo.js';
import { ASSET_STATUSES } from '../assets/schema.js';
import { createAsset, patchAsset, transitionAsset } from '../assets/service.js';
import { allow, principalOf, type Role, type Scope } from '../auth/principal.js';
import { orgScore } from '../compliance/engine.js';
import {
  assetCompliance,
  complianceHistory,
  complianceSummary,
  evaluateCompliance,
} from '../compliance/service.js';
import type { Checkpoints } from '../events/checkpoints.js';
import { rateKeyOf } from '../events/routes.js';
import { pushBatch, pushEvent, type EventsService } from '../events/service.js';
import type { EventFilters, EventStore, StoredEvent } from '../events/store.js';
import { deleteEvidence, listAssetEvidence } from '../evidence/service.js';
import { apiDepsOf, type ApiDeps } from '../http/context.js';
import type { FieldProblem } from '../http/validate.js';
import type { PolicyPack } from '../policies/pack.js';
import {
  activatePack,
  deactivatePack,
  importCustomPacks,
  installBuiltInPacks,
  packOf,
  packsOf,
  type PackSummary,
} from '../policies/service.js';
import { generateReport, listReports, toReportResource } from '../reports/service.js';
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

/** The REST services' dependencies (object storage among them), registered on the app. */
const apiOf = (ctx: GraphqlContext): ApiDeps => apiDepsOf(ctx.req);

/** Arguments given (neither undefined nor null), as the REST body or query would carry them. */
function given(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined && v !== null));
}

/** `card` + `owner.email` -> `card.owner.email`; `packs` + `[1].id` -> `packs[1].id`. */
function argPath(arg: string | undefined, path: string): string {
  if (!arg) return path;
  if (!path) return arg;
  return path.startsWith('[') ? `${arg}${path}` : `${arg}.${path}`;
}

/**
 * Run a REST service with GraphQL arguments as its input. Its field problems (400
 * VALIDATION_FAILED, paths relative to the REST body or query) come back as
 * BAD_USER_INPUT whose message and details name the argument path. `arg` is the argument
 * that carries the whole body (createAsset's card); none when the arguments are the
 * body's fields themselves.
 */
async function withInput<T>(arg: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof HttpError) || err.code !== 'VALIDATION_FAILED') throw err;
    const problems = (err.details ?? []).map((d) => {
      const { in: _where, ...p } = d as FieldProblem;
      return { ...p, path: argPath(arg, p.path ?? '') };
    });
    const head = err.message.replace(/: \d+ problem\(s\)$/, '');
    const list = problems.map((p) => `${p.path || 'input'}: ${p.message}`).join('; ');
    throw new HttpError(400, 'BAD_USER_INPUT', list ? `${head}: ${list}` : head, problems);
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

/**
 * A pack summary with its document loaded on demand (once), for the fields that need it
 * (controls, framework, description, definition).
 */
function packView(load: () => Promise<PolicyPack>, summary: PackSummary) {
  let definition: Promise<PolicyPack> | undefined;
  const def = () => (definition ??= load());
  return {
    ...summary,
    controlCount: summary.controls,
    description: () => def().then((d) => d.description ?? null),
    framework: () => def().then((d) => d.framework),
    controls: () => def().then((d) => d.controls),
    definition: def,
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
        if (
          a.status !== undefined &&
          a.status !== null &&
          !(ASSET_STATUSES as readonly string[]).includes(a.status)
        )
          throw new HttpError(400, 'BAD_USER_INPUT', `status must be one of ${ASSET_STATUSES.join(', ')}`, [
            { path: 'status', code: 'invalid_value', message: `must be one of ${ASSET_STATUSES.join(', ')}` },
          ]);
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
        const orgId = guard(ctx, 'audit:read', 'admin'); // as GET /api/v1/audit
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

      complianceSummary: (_: unknown, __: unknown, ctx: GraphqlContext) => {
        guard(ctx, 'compliance:read');
        return complianceSummary(apiOf(ctx), ctx.req);
      },

      assetCompliance: async (_: unknown, a: { assetId: string }, ctx: GraphqlContext) => {
        guard(ctx, 'compliance:read');
        const r = await assetCompliance(apiOf(ctx), ctx.req, a.assetId);
        return { ...r, controls: r.results };
      },

      complianceHistory: async (
        _: unknown,
        a: { assetId?: string; since?: string; bucket?: string; limit?: number },
        ctx: GraphqlContext,
      ) => {
        guard(ctx, 'compliance:read');
        const r = await withInput(undefined, () => complianceHistory(apiOf(ctx), ctx.req, given(a)));
        return { assetId: r.assetId, bucket: r.bucket, limit: a.limit ?? 100, points: r.items };
      },

      policyPacks: async (_: unknown, a: { active?: boolean | null }, ctx: GraphqlContext) => {
        guard(ctx, 'policies:read');
        const api = apiOf(ctx);
        const packs = await packsOf(api, ctx.req, a.active ?? undefined);
        return packs.map((p) =>
          packView(() => packOf(api, ctx.req, p.id, p.version).then((r) => r.definition), p),
        );
      },

      policyPack: async (_: unknown, a: { id: string; version?: string | null }, ctx: GraphqlContext) => {
        guard(ctx, 'policies:read');
        const { summary, definition } = await packOf(apiOf(ctx), ctx.req, a.id, a.version ?? undefined);
        return packView(() => Promise.resolve(definition), summary);
      },

      evidence: async (_: unknown, a: { assetId: string; limit?: number }, ctx: GraphqlContext) => {
        guard(ctx, 'evidence:read');
        const { limit } = page(a.limit ?? 100);
        return { limit, items: await listAssetEvidence(apiOf(ctx), ctx.req, a.assetId, limit) };
      },

      reports: async (_: unknown, a: { limit?: number }, ctx: GraphqlContext) => {
        guard(ctx, 'reports:read');
        const rows = await withInput(undefined, () => listReports(apiOf(ctx), ctx.req, given(a)));
        return { limit: a.limit ?? 50, items: rows.map(toReportResource) };
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

      // asset cards: POST /assets, PATCH /assets/:id, POST /assets/:id/lifecycle
      createAsset: async (_: unknown, a: { card: unknown }, ctx: GraphqlContext) => {
        guard(ctx, 'assets:write', 'editor');
        return assetView(await withInput('card', () => createAsset(apiOf(ctx), ctx.req, a.card)));
      },

      updateAsset: async (
        _: unknown,
        a: { id: string; patch: unknown; revision?: number | null },
        ctx: GraphqlContext,
      ) => {
        guard(ctx, 'assets:write', 'editor');
        const withRevision =
          a.revision != null && a.patch && typeof a.patch === 'object' && !Array.isArray(a.patch)
            ? { ...a.patch, revision: a.revision }
            : a.patch;
        return assetView(await withInput('patch', () => patchAsset(apiOf(ctx), ctx.req, a.id, withRevision)));
      },

      registerAsset: async (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
        guard(ctx, 'assets:write', 'editor');
        return assetView(await transitionAsset(apiOf(ctx), ctx.req, a.id, { status: 'registered' }));
      },

      retireAsset: async (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
        guard(ctx, 'assets:write', 'editor');
        return assetView(await transitionAsset(apiOf(ctx), ctx.req, a.id, { status: 'retired' }));
      },

      // policy packs: POST /policy-packs/import, /built-in, /:id/activate, /:id/deactivate
      importPolicyPacks: async (
        _: unknown,
        a: { document?: string | null; packs?: unknown; dryRun?: boolean | null },
        ctx: GraphqlContext,
      ) => {
        guard(ctx, 'policies:write', 'admin');
        const hasDocument = a.document !== undefined && a.document !== null;
        const hasPacks = a.packs !== undefined && a.packs !== null;
        if (hasDocument === hasPacks) {
          const message = 'give the packs either as document (YAML or JSON text) or as packs, not both';
          throw new HttpError(400, 'BAD_USER_INPUT', `document: ${message}`, [
            { path: 'document', code: hasDocument ? 'conflict' : 'required', message },
          ]);
        }
        const dryRun = a.dryRun ?? false;
        const result = await withInput(hasDocument ? 'document' : 'packs', () =>
          importCustomPacks(apiOf(ctx), ctx.req, hasDocument ? a.document : a.packs, { dryRun }),
        );
        return { dryRun, ...result };
      },

      installBuiltInPolicyPacks: async (
        _: unknown,
        a: { policies?: string[] | null },
        ctx: GraphqlContext,
      ) => {
        guard(ctx, 'policies:write', 'admin');
        const result = await withInput(undefined, () => installBuiltInPacks(apiOf(ctx), ctx.req, given(a)));
        return { dryRun: false, ...result };
      },

      activatePolicyPack: (_: unknown, a: { id: string; version?: string | null }, ctx: GraphqlContext) => {
        guard(ctx, 'policies:write', 'admin');
        return withInput(undefined, () =>
          activatePack(apiOf(ctx), ctx.req, a.id, given({ version: a.version })),
        );
      },

      deactivatePolicyPack: (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
        guard(ctx, 'policies:write', 'admin');
        return deactivatePack(apiOf(ctx), ctx.req, a.id);
      },

      // DELETE /evidence/:id (uploads stay multipart on REST)
      deleteEvidence: (_: unknown, a: { id: string }, ctx: GraphqlContext) => {
        guard(ctx, 'evidence:write', 'admin');
        return deleteEvidence(apiOf(ctx), ctx.req, a.id);
      },

      // POST /reports
      generateReport: async (
        _: unknown,
        a: { format?: string | null; includeRetired?: boolean | null },
        ctx: GraphqlContext,
      ) => {
        guard(ctx, 'reports:write', 'editor');
        const row = await withInput(undefined, () => generateReport(apiOf(ctx), ctx.req, given(a)));
        return toReportResource(row);
      },

      // POST /compliance/evaluate
      evaluateCompliance: (_: unknown, __: unknown, ctx: GraphqlContext) => {
        guard(ctx, 'compliance:write', 'editor');
        return evaluateCompliance(apiOf(ctx), ctx.req);
      },
    },
  };
}
