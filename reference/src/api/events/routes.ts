// The governance events API of the upstream AIGRC clients (contracts.md §3), mounted
// under /v1 and /api/v1. Every route but GET /v1/health (served by the service itself)
// needs a bearer credential and a scope: events:write to push, events:read to read
// events and checkpoints, assets:read for the asset list.
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { HttpError, sendError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Redis } from '../../common/redis.js';
import { allow, principalOf } from '../auth/principal.js';
import { isStorableDateTime } from '../http/datetime.js';
import { rateLimit, type SlidingWindowLimiter } from '../ratelimit/sliding-window.js';
import type { Checkpoints } from './checkpoints.js';
import { type EventsService, orgMismatch, pushBatch, pushEvent, sameOrg } from './service.js';
import type { EventFilters, EventStore } from './store.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;

export interface EventsRouterOptions {
  store: EventStore;
  checkpoints: Checkpoints;
  /** Resolves the bearer credential to req.principal (answers 401 itself). */
  authenticate: RequestHandler;
  limiter: SlidingWindowLimiter;
  limits: { windowMs: number; push: number; batch: number; read: number };
  redis?: Redis;
  log: Logger;
  /**
   * Serve GET /assets (the events' asset list). True under /v1 (the upstream clients'
   * base path); false under /api/v1, where /assets is the asset-card registry.
   */
  assetList: boolean;
}

/** Who a rate limit counts: the API key, else the user, else the organization. */
export function rateKeyOf(req: Request): string {
  const p = req.principal;
  if (!p) return `ip:${req.ip}`;
  if (p.kind === 'api-key') return `key:${p.apiKeyId}`;
  return p.userId ? `user:${p.userId}` : `org:${p.orgId}`;
}

// ---- query parsing -----------------------------------------------------------------

type Query = Request['query'];
const one = (q: Query, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = q[n];
    if (typeof v === 'string' && v !== '') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  return undefined;
};

function pagination(
  q: Query,
  problems: { field: string; message: string }[],
): { limit: number; offset: number } {
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = one(q, name);
    if (raw === undefined) return def;
    if (!/^\d+$/.test(raw)) {
      problems.push({
        field: name,
        message:
          max === Number.MAX_SAFE_INTEGER
            ? `must be a whole number, ${min} or more`
            : `must be a whole number from ${min} to ${max}`,
      });
      return def;
    }
    const n = Number(raw);
    if (n < min) problems.push({ field: name, message: `must be at least ${min}` });
    return Math.min(Math.max(n, min), max);
  };
  return {
    limit: int('limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
    offset: int('offset', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

function eventFilters(req: Request, assetId?: string): EventFilters {
  const q = req.query;
  const problems: { field: string; message: string }[] = [];
  const p = principalOf(req);
  const orgId = one(q, 'orgId', 'org_id');
  if (orgId !== undefined && !sameOrg(p, orgId)) throw orgMismatch(p, orgId);
  const date = (name: string, ...aliases: string[]) => {
    const v = one(q, name, ...aliases);
    if (v !== undefined && !isStorableDateTime(v))
      problems.push({ field: name, message: 'must be an ISO 8601 date-time (year 0001 or later)' });
    return v;
  };
  const f: EventFilters = {
    assetId: assetId ?? one(q, 'assetId', 'asset_id'),
    type: one(q, 'type'),
    category: one(q, 'category'),
    criticality: one(q, 'criticality'),
    since: date('since'),
    until: date('until'),
    ...pagination(q, problems),
  };
  if (problems.length) throw new HttpError(400, 'INVALID_QUERY', 'invalid query parameters', problems);
  return f;
}

// ---- router ------------------------------------------------------------------------

export function eventsRouter(o: EventsRouterOptions): Router {
  const r = Router();
  const { store, checkpoints, log } = o;
  const limit = (route: string, max: number, exempt?: (req: Request) => boolean) =>
    rateLimit({
      limiter: o.limiter,
      route,
      limit: max,
      windowMs: o.limits.windowMs,
      keyOf: rateKeyOf,
      exempt,
      log,
    });
  // an upstream deployment may authenticate earlier in the chain; do it once
  const auth: RequestHandler = (req, res, next) => (req.principal ? next() : o.authenticate(req, res, next));
  const needJson: RequestHandler = (req, _res, next) => {
    if (req.body === undefined)
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'send the body as JSON (Content-Type: application/json)',
      );
    next();
  };

  const svc: EventsService = { store, redis: o.redis };

  // POST /v1/events: one event (the Sync channel)
  r.post(
    '/events',
    auth,
    ...allow('events:write', 'editor'),
    express.json({ limit: '1mb' }),
    needJson,
    limit(
      'events:push',
      o.limits.push,
      (req) => (req.body as { criticality?: unknown })?.criticality === 'critical',
    ),
    async (req: Request, res: Response) => {
      const { status, body } = await pushEvent(svc, req, req.body);
      res.status(status).json(body);
    },
  );

  // POST /v1/events/batch: up to 1000 events, each accepted or rejected on its own
  r.post(
    '/events/batch',
    auth,
    ...allow('events:write', 'editor'),
    express.json({ limit: '32mb' }),
    needJson,
    limit('events:batch', o.limits.batch),
    async (req: Request, res: Response) => {
      res.status(200).json(await pushBatch(svc, req, req.body));
    },
  );

  const read = limit('events:read', o.limits.read);

  r.get('/events', auth, ...allow('events:read'), read, async (req, res) => {
    const f = eventFilters(req);
    const { events, total } = await store.list(principalOf(req).orgId, f);
    res.json({ events, total, limit: f.limit, offset: f.offset });
  });

  r.get('/events/:id', auth, ...allow('events:read'), read, async (req, res) => {
    const id = String(req.params.id);
    const event = await store.get(principalOf(req).orgId, id);
    if (!event) return sendError(res, 404, 'EVT_NOT_FOUND', `no event ${id} in this organization`);
    res.json(event);
  });

  if (o.assetList)
    r.get('/assets', auth, ...allow('assets:read'), read, async (req, res) => {
      const problems: { field: string; message: string }[] = [];
      const p = principalOf(req);
      const orgId = one(req.query, 'orgId', 'org_id');
      if (orgId !== undefined && !sameOrg(p, orgId)) throw orgMismatch(p, orgId);
      const { limit: l, offset } = pagination(req.query, problems);
      if (problems.length) throw new HttpError(400, 'INVALID_QUERY', 'invalid query parameters', problems);
      const { assets, total } = await store.assets(p.orgId, l, offset);
      res.json({ assets, total, limit: l, offset });
    });

  r.get('/assets/:assetId/events', auth, ...allow('events:read'), read, async (req, res) => {
    const f = eventFilters(req, String(req.params.assetId));
    const { events, total } = await store.list(principalOf(req).orgId, f);
    res.json({ events, total, limit: f.limit, offset: f.offset });
  });

  r.get('/integrity/checkpoints', auth, ...allow('events:read'), read, async (req, res) => {
    const problems: { field: string; message: string }[] = [];
    const { limit: l, offset } = pagination(req.query, problems);
    if (problems.length) throw new HttpError(400, 'INVALID_QUERY', 'invalid query parameters', problems);
    const { checkpoints: list, total } = await checkpoints.list(principalOf(req).orgId, l, offset);
    res.json({ checkpoints: list, total, limit: l, offset });
  });

  r.get('/integrity/checkpoints/:id', auth, ...allow('events:read'), read, async (req, res) => {
    const id = String(req.params.id);
    if (!/^\d{1,18}$/.test(id)) return sendError(res, 404, 'NOT_FOUND', `no checkpoint ${id}`);
    const orgId = principalOf(req).orgId;
    const leaves = await checkpoints.leaves(orgId, id);
    if (!leaves) return sendError(res, 404, 'NOT_FOUND', `no checkpoint ${id}`);
    res.json({ id, leaves });
  });

  // on demand: a checkpoint over everything received since the last one
  r.post('/integrity/checkpoints', auth, ...allow('events:write', 'editor'), read, async (req, res) => {
    const made = await checkpoints.compute(principalOf(req).orgId, 'on-demand');
    res.status(made.length ? 201 : 200).json({ checkpoints: made, created: made.length });
  });

  return r;
}
