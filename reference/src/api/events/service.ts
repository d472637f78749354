// Pushing events, shared by the REST routes and the GraphQL mutations (one code path):
// organization check, validation (every problem collected), storage, and the real-time
// publication of what was created. Errors are HttpErrors; REST renders them in the error
// envelope, GraphQL as errors with extensions.code.
import type { Request } from 'express';
import { HttpError } from '../../common/errors.js';
import { publishOrgEvent, publishOrgEvents, RawJson } from '../../common/realtime.js';
import type { Redis } from '../../common/redis.js';
import { auditActor, principalOf, type Principal } from '../auth/principal.js';
import { type EventProblem, validateEvent } from './schema.js';
import type { Candidate, EventStore, IngestOutcome, StoredEvent } from './store.js';

export const MAX_BATCH = 1000;

export interface EventsService {
  store: EventStore;
  redis?: Redis;
}

/** `orgId` of an event or a query must name the caller's organization (its id or slug). */
export function sameOrg(p: Principal, orgId: unknown): boolean {
  return typeof orgId === 'string' && (orgId === p.orgId || (p.orgSlug !== undefined && orgId === p.orgSlug));
}

export function orgMismatch(p: Principal, orgId: unknown): HttpError {
  return new HttpError(
    403,
    'EVT_ORG_MISMATCH',
    `orgId ${JSON.stringify(orgId)} is not the organization of this credential (${p.orgSlug ?? p.orgId})`,
  );
}

export interface Warning {
  code: string;
  message: string;
  asset: string;
  severity: 'info' | 'warning' | 'urgent';
  action?: string;
}

function chainWarning(o: Extract<IngestOutcome, { status: 'created' }>): Warning {
  const b = o.chainBreak!;
  return {
    code: 'CHAIN_BROKEN',
    message: b.expectedPreviousHash
      ? `previousHash ${b.declaredPreviousHash} does not continue the chain of asset ${b.assetId} (last received ${b.expectedPreviousHash}); recorded as ${b.recordId} (aigrc.audit.chain.broken)`
      : `previousHash given but no earlier event of asset ${b.assetId} was received; recorded as ${b.recordId} (aigrc.audit.chain.broken)`,
    asset: b.assetId,
    severity: 'urgent',
    action: `GET /v1/events/${b.recordId}`,
  };
}

function rejection(problems: EventProblem[]) {
  const first = problems[0]!;
  return {
    code: first.code,
    message: problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '),
    ...(first.field ? { field: first.field } : {}),
    details: problems,
  };
}

const auditOf = (req: Request) => ({
  actor: auditActor(principalOf(req)),
  requestId: req.id,
  sourceAddress: req.ip,
});

/**
 * Publish created events (and the chain-break records) to the organization's subscribers,
 * after the current callbacks: the caller's answer is written first, so the publication's
 * write to Redis is not on the request's path.
 */
function publish(svc: EventsService, orgId: string, outcomes: readonly IngestOutcome[]): void {
  setImmediate(announce, svc, orgId, outcomes);
}

function announce(svc: EventsService, orgId: string, outcomes: readonly IngestOutcome[]): void {
  const fresh: (StoredEvent | RawJson)[] = [];
  let broken = false;
  for (const x of outcomes) {
    if (x.status !== 'created') continue;
    fresh.push(new RawJson(x.storedJson));
    const b = x.chainBreak;
    if (b?.record) {
      broken = true;
      fresh.push({
        ...(b.record as Record<string, unknown>),
        id: b.recordId,
        receivedAt: b.recordReceivedAt ?? x.receivedAt,
      });
    }
  }
  if (fresh.length === 1) void publishOrgEvent(svc.redis, orgId, 'events', fresh[0]);
  else if (fresh.length > 1) void publishOrgEvents(svc.redis, orgId, 'events', fresh);
  if (broken)
    void publishOrgEvent(svc.redis, orgId, 'audit', {
      action: 'event.chain.broken',
      at: new Date().toISOString(),
    });
}

export interface PushReply {
  /** 201 created, 200 duplicate. */
  status: 200 | 201;
  body: { status: 'accepted'; eventId: string; receivedAt: string; duplicate?: true; warnings?: Warning[] };
}

/** One event (POST /v1/events). Throws 400 (every problem listed), 403 (other org), 409 (changed). */
export async function pushEvent(svc: EventsService, req: Request, body: unknown): Promise<PushReply> {
  const p = principalOf(req);
  if (Array.isArray(body))
    throw new HttpError(
      400,
      'EVT_SCHEMA_INVALID',
      'this route takes one event; send arrays to /v1/events/batch',
    );
  const bodyOrg = (body as { orgId?: unknown } | null)?.orgId;
  if (bodyOrg !== undefined && !sameOrg(p, bodyOrg)) throw orgMismatch(p, bodyOrg);
  const v = validateEvent(body);
  if (!v.ok)
    throw new HttpError(
      400,
      'EVT_VALIDATION_FAILED',
      `the event is invalid: ${rejection(v.problems).message}`,
      v.problems,
    );
  const [outcome] = await svc.store.ingest(
    p.orgId,
    [{ index: 0, event: v.event, json: v.json }],
    auditOf(req),
  );
  if (!outcome) throw new Error('ingest returned no outcome');
  if (outcome.status === 'conflict')
    throw new HttpError(409, outcome.problem.code, outcome.problem.message, [
      { eventId: outcome.id, receivedAt: outcome.receivedAt },
    ]);
  publish(svc, p.orgId, [outcome]);
  const reply: PushReply['body'] = {
    status: 'accepted',
    eventId: outcome.id,
    receivedAt: outcome.receivedAt,
  };
  if (outcome.status === 'duplicate') reply.duplicate = true;
  if (outcome.status === 'created' && outcome.chainBreak) reply.warnings = [chainWarning(outcome)];
  return { status: outcome.status === 'created' ? 201 : 200, body: reply };
}

export interface BatchItem {
  id: string;
  index: number;
  status: 'created' | 'duplicate' | 'rejected';
  receivedAt?: string;
  error?: { code: string; message: string; field?: string; details?: unknown[] };
  warnings?: Warning[];
}

export interface BatchReply {
  accepted: number;
  rejected: number;
  duplicate: number;
  results: BatchItem[];
}

/** Up to MAX_BATCH events (POST /v1/events/batch): each created, duplicate or rejected on its own. */
export async function pushBatch(svc: EventsService, req: Request, body: unknown): Promise<BatchReply> {
  const p = principalOf(req);
  const events = Array.isArray(body) ? body : (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events))
    throw new HttpError(
      400,
      'EVT_SCHEMA_INVALID',
      'the batch body must be a JSON array of events (or { "events": [...] })',
    );
  if (events.length > MAX_BATCH)
    throw new HttpError(
      413,
      'EVT_BATCH_TOO_LARGE',
      `a batch holds at most ${MAX_BATCH} events; this one has ${events.length}`,
    );
  const results: BatchItem[] = new Array(events.length);
  const candidates: Candidate[] = [];
  events.forEach((raw: unknown, index) => {
    const rawId = (raw as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'string' ? rawId : 'unknown';
    const org = (raw as { orgId?: unknown } | null)?.orgId;
    if (org !== undefined && !sameOrg(p, org)) {
      results[index] = {
        id,
        index,
        status: 'rejected',
        error: {
          code: 'EVT_ORG_MISMATCH',
          message: `orgId ${JSON.stringify(org)} is not the organization of this credential`,
          field: 'orgId',
        },
      };
      return;
    }
    const v = validateEvent(raw);
    if (!v.ok) results[index] = { id, index, status: 'rejected', error: rejection(v.problems) };
    else candidates.push({ index, event: v.event, json: v.json });
  });
  const outcomes = await svc.store.ingest(p.orgId, candidates, auditOf(req));
  for (const x of outcomes) {
    if (x.status === 'conflict') {
      results[x.index] = {
        id: x.id,
        index: x.index,
        status: 'rejected',
        error: { ...x.problem, details: [{ receivedAt: x.receivedAt }] },
      };
    } else {
      const item: BatchItem = { id: x.id, index: x.index, status: x.status, receivedAt: x.receivedAt };
      if (x.status === 'created' && x.chainBreak) item.warnings = [chainWarning(x)];
      results[x.index] = item;
    }
  }
  publish(svc, p.orgId, outcomes);
  const reply: BatchReply = { accepted: 0, rejected: 0, duplicate: 0, results };
  for (const x of results) {
    if (x.status === 'created') reply.accepted++;
    else if (x.status === 'duplicate') reply.duplicate++;
    else reply.rejected++;
  }
  return reply;
}
