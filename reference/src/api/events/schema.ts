// The governance event envelope of the upstream AIGRC clients (contracts.md §3) and its
// server-side validation. Every problem is collected (not just the first), each with an
// upstream error code (EVT_*), the field and a message.
import { z } from 'zod';
import { isoDateTime } from '../http/datetime.js';
import { nestedDeeperThan, TOO_DEEP_MESSAGE } from '../http/nesting.js';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '../http/text.js';
import { computeEventHash, HASH_PATTERN } from './canonical.js';

export const EVENT_ID_PATTERN = /^evt_[0-9a-f]{32}$/;

export const CATEGORIES = [
  'asset',
  'scan',
  'classification',
  'compliance',
  'enforcement',
  'lifecycle',
  'policy',
  'audit',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const EVENT_TYPES = [
  'aigrc.asset.created',
  'aigrc.asset.updated',
  'aigrc.asset.registered',
  'aigrc.asset.retired',
  'aigrc.asset.discovered',
  'aigrc.scan.started',
  'aigrc.scan.completed',
  'aigrc.scan.finding',
  'aigrc.classification.applied',
  'aigrc.classification.changed',
  'aigrc.classification.disputed',
  'aigrc.compliance.evaluated',
  'aigrc.compliance.passed',
  'aigrc.compliance.failed',
  'aigrc.compliance.gap',
  'aigrc.enforcement.decision',
  'aigrc.enforcement.violation',
  'aigrc.enforcement.override',
  'aigrc.enforcement.killswitch',
  'aigrc.lifecycle.orphan.declared',
  'aigrc.lifecycle.orphan.resolved',
  'aigrc.lifecycle.orphan.overdue',
  'aigrc.lifecycle.decay.warned',
  'aigrc.lifecycle.decay.expired',
  'aigrc.lifecycle.decay.renewed',
  'aigrc.policy.compiled',
  'aigrc.policy.published',
  'aigrc.policy.deprecated',
  'aigrc.audit.report.generated',
  'aigrc.audit.chain.verified',
  'aigrc.audit.chain.broken',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const CRITICALITIES = ['normal', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export const SOURCE_TOOLS = [
  'cli',
  'vscode',
  'github-action',
  'mcp-server',
  'runtime-sdk',
  'i2e-bridge',
  'i2e-firewall',
  'platform',
] as const;

const datetime = isoDateTime;

const hash = z.string().regex(HASH_PATTERN, 'must be sha256:<64 lowercase hex>');
const eventId = z.string().regex(EVENT_ID_PATTERN, 'must be evt_ followed by 32 lowercase hex characters');

const source = z.object({
  tool: z.enum(SOURCE_TOOLS, { message: `must be one of ${SOURCE_TOOLS.join(', ')}` }),
  version: z.string().min(1),
  orgId: z.string().min(1),
  instanceId: z.string().min(1),
  identity: z.object({
    type: z.enum(['api-key', 'oauth', 'agent-token', 'service-token']),
    subject: z.string().min(1),
  }),
  environment: z.enum(['development', 'staging', 'production', 'ci']),
});

const goldenThread = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('linked'),
    system: z.string().min(1),
    ref: z.string().min(1),
    url: z.url(),
    status: z.enum(['active', 'completed', 'cancelled', 'unknown']),
    verifiedAt: datetime.optional(),
  }),
  z.object({
    type: z.literal('orphan'),
    reason: z.enum(['discovery', 'pre-authorization', 'legacy-migration', 'emergency-deploy']),
    declaredBy: z.string().min(1),
    declaredAt: datetime,
    remediationDeadline: datetime,
    remediationNote: z.string().min(10, 'must be at least 10 characters'),
  }),
]);

/** The envelope; unknown top-level fields are kept (they are covered by the hash). */
export const governanceEventSchema = z.looseObject({
  id: eventId,
  specVersion: z.literal('1.0'),
  schemaVersion: z.string().regex(/^aigrc-events@\d+\.\d+\.\d+$/, 'must be aigrc-events@x.y.z'),
  type: z.enum(EVENT_TYPES, {
    message: 'must be one of the aigrc.<category>.<name> event types (e.g. aigrc.scan.completed)',
  }),
  category: z.enum(CATEGORIES, { message: `must be one of ${CATEGORIES.join(', ')}` }),
  criticality: z.enum(CRITICALITIES, { message: 'must be normal, high or critical' }),
  source,
  orgId: z.string().min(1),
  assetId: z.string().min(1).max(500),
  producedAt: datetime,
  goldenThread,
  hash,
  previousHash: hash.nullable().optional(),
  signature: z.string().nullable().optional(),
  parentEventId: eventId.optional(),
  correlationId: z.string().optional(),
  data: z.record(z.string(), z.unknown()).refine((d) => Object.keys(d).length > 0, {
    message: 'must be a non-empty object',
  }),
});

export type GovernanceEvent = z.infer<typeof governanceEventSchema> & {
  type: EventType;
  category: Category;
  criticality: Criticality;
};

export interface EventProblem {
  code: string;
  field?: string;
  message: string;
}

export type Validation =
  | { ok: true; event: GovernanceEvent; /** the event as stored (JSON text) */ json: string }
  | { ok: false; id: string | undefined; problems: EventProblem[] };

function codeFor(path: string, raw: Record<string, unknown>): string {
  const top = path.split('.')[0];
  switch (top) {
    case 'id':
      return 'EVT_ID_INVALID';
    case 'specVersion':
    case 'schemaVersion':
      return 'EVT_SCHEMA_VERSION_UNKNOWN';
    case 'type':
      return 'EVT_TYPE_INVALID';
    case 'category':
      return 'EVT_CATEGORY_MISMATCH';
    case 'goldenThread':
      if (raw.goldenThread === undefined) return 'EVT_GOLDEN_THREAD_MISSING';
      return path.endsWith('remediationNote') ? 'EVT_ORPHAN_NOTE_TOO_SHORT' : 'EVT_GOLDEN_THREAD_INVALID';
    case 'hash':
      return raw.hash === undefined ? 'EVT_HASH_MISSING' : 'EVT_HASH_FORMAT';
    case 'previousHash':
      return 'EVT_HASH_FORMAT';
    case 'signature':
      return 'EVT_SIGNATURE_INVALID';
    case 'data':
      return 'EVT_DATA_EMPTY';
    default:
      return 'EVT_SCHEMA_INVALID';
  }
}

/**
 * Validate one event as received. Collects every problem: schema, id format,
 * type/category consistency, producer-set receivedAt (refused: the server sets it)
 * and the recomputed canonical hash.
 */
export function validateEvent(input: unknown): Validation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      id: undefined,
      problems: [{ code: 'EVT_SCHEMA_INVALID', message: 'an event must be a JSON object' }],
    };
  }
  const raw = input as Record<string, unknown>;
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  // before anything that walks the event recursively
  if (nestedDeeperThan(raw))
    return {
      ok: false,
      id,
      problems: [{ code: 'EVT_SCHEMA_INVALID', message: `the event ${TOO_DEEP_MESSAGE}` }],
    };
  const problems: EventProblem[] = [];

  if (raw.receivedAt !== undefined && raw.receivedAt !== null) {
    problems.push({
      code: 'EVT_RECEIVED_AT_REJECTED',
      field: 'receivedAt',
      message: 'receivedAt is set by the server only; remove it from the event',
    });
  }
  const parsed = governanceEventSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join('.');
      problems.push({ code: codeFor(field, raw), field: field || undefined, message: issue.message });
    }
  } else {
    const e = parsed.data;
    const expected = e.type.split('.')[1];
    if (expected !== e.category) {
      problems.push({
        code: 'EVT_CATEGORY_MISMATCH',
        field: 'category',
        message: `category "${e.category}" does not match type "${e.type}" (expected "${expected}")`,
      });
    }
  }
  if (typeof raw.hash === 'string' && HASH_PATTERN.test(raw.hash)) {
    const computed = computeEventHash(raw);
    if (computed !== raw.hash) {
      problems.push({
        code: 'EVT_HASH_INVALID',
        field: 'hash',
        message: `hash does not match the canonical form (computed ${computed})`,
      });
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, id, problems };
  const { receivedAt: _r, ...event } = raw;
  // text PostgreSQL's jsonb cannot hold (U+0000, unpaired surrogates)
  const unstorable = findUnstorableText(event);
  if (unstorable !== undefined)
    return {
      ok: false,
      id,
      problems: [{ code: 'EVT_SCHEMA_INVALID', field: unstorable, message: UNSTORABLE_TEXT_MESSAGE }],
    };
  const json = JSON.stringify(event);
  return { ok: true, event: event as GovernanceEvent, json };
}
