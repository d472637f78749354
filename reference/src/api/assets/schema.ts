// The asset card as the control plane stores it. Fields follow the AIGRC asset card
// (id, name, description, owner, technical profile, risk classification, golden thread,
// governance); `jurisdictions` and `classification.rationale` are the control plane's
// additions. Cards written in the upstream layout (`ownership.owner`, `intent.ticket*`,
// `created`/`updated`) are accepted on import and normalised (fromUpstreamLayout).
import { z } from 'zod';

export const RISK_LEVELS = ['minimal', 'limited', 'high', 'unacceptable'] as const;
export const TECH_TYPES = ['model', 'agent', 'api_client', 'framework', 'pipeline'] as const;
export const GOVERNANCE_STATUSES = [
  'draft',
  'linked',
  'approved',
  'production',
  'deprecated',
  'revoked',
] as const;
export const ASSET_STATUSES = ['draft', 'registered', 'retired'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

export const CARD_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{1,127}$/;
export const cardIdSchema = z
  .string()
  .regex(
    CARD_ID_RE,
    'must be 2-128 characters: letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  );

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** ISO 3166-1 alpha-2 (US), a subdivision (US-CA), or a region: EU, EEA, GLOBAL. */
export const jurisdictionSchema = z
  .string()
  .transform((v) => v.trim().toUpperCase())
  .pipe(
    z
      .string()
      .regex(
        /^(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?|EEA|GLOBAL)$/,
        'must be a country code (DE), a subdivision (US-CA), EU, EEA or GLOBAL',
      ),
  );

const owner = z
  .object({
    name: text(200),
    email: z.email('must be an e-mail address').max(320),
    team: text(200).optional(),
  })
  .strict();

const technical = z
  .object({
    type: z.enum(TECH_TYPES, { message: `must be one of ${TECH_TYPES.join(', ')}` }),
    framework: text(100).optional(),
    frameworkVersion: text(50).optional(),
    model: text(200).optional(),
    provider: text(100).optional(),
    components: z
      .array(
        z.object({ type: text(100), provider: text(100).optional(), model: text(200).optional() }).strict(),
      )
      .max(50)
      .optional(),
  })
  .strict();

const riskFactors = z
  .object({
    autonomousDecisions: z.boolean(),
    customerFacing: z.boolean(),
    toolExecution: z.boolean(),
    externalDataAccess: z.boolean(),
    piiProcessing: z.enum(['yes', 'no', 'unknown'], { message: 'must be yes, no or unknown' }),
    highStakesDecisions: z.boolean(),
  })
  .partial()
  .strict();

const classification = z
  .object({
    riskLevel: z.enum(RISK_LEVELS, { message: `must be one of ${RISK_LEVELS.join(', ')}` }),
    rationale: text(5000).optional(),
    riskFactors: riskFactors.optional(),
    euAiAct: z
      .object({ category: text(200), transparencyRequired: z.boolean().optional() })
      .strict()
      .optional(),
  })
  .strict();

/** The golden thread: the business authorization (ticket) this asset traces back to. */
const goldenThread = z
  .object({
    system: z.enum(['jira', 'ado', 'github', 'gitlab', 'servicenow', 'linear', 'other'], {
      message: 'must be one of jira, ado, github, gitlab, servicenow, linear, other',
    }),
    ref: text(200),
    url: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2000)
      .optional(),
    status: z.enum(['active', 'completed', 'cancelled', 'unknown']).optional(),
  })
  .strict();

const approval = z
  .object({
    role: text(100),
    name: text(200),
    email: z.email('must be an e-mail address').optional(),
    date: z.iso
      .date({ message: 'must be a date (YYYY-MM-DD)' })
      .or(z.iso.datetime({ offset: true, message: 'must be an ISO date or date-time' })),
    source: text(200).optional(),
  })
  .strict();

const governance = z
  .object({
    status: z
      .enum(GOVERNANCE_STATUSES, { message: `must be one of ${GOVERNANCE_STATUSES.join(', ')}` })
      .default('draft'),
    approvals: z.array(approval).max(50).default([]),
  })
  .strict();

const constraints = z
  .object({
    humanApprovalRequired: z.array(text(200)).max(50).optional(),
    monitoring: z
      .object({ logAllDecisions: z.boolean(), logToolInvocations: z.boolean() })
      .partial()
      .strict()
      .optional(),
    runtime: z
      .object({
        maxIterations: z.number().int().positive(),
        timeoutSeconds: z.number().positive(),
        maxTokensPerRequest: z.number().int().positive(),
        maxCostPerRequestUsd: z.number().positive(),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

/** A card as clients send it (create, import). */
export const assetCardInput = z
  .object({
    id: cardIdSchema.optional(),
    name: text(200),
    description: z.string().trim().max(5000, 'must be at most 5000 characters').optional(),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.0.0')
      .optional(),
    owner,
    technical,
    classification,
    jurisdictions: z.array(jurisdictionSchema).max(50).default([]),
    goldenThread: goldenThread.nullable().optional(),
    governance: governance.default({ status: 'draft', approvals: [] }),
    constraints: constraints.optional(),
  })
  .strict()
  .superRefine((card, ctx) => {
    const seen = new Set<string>();
    card.jurisdictions.forEach((j, i) => {
      if (seen.has(j))
        ctx.addIssue({ code: 'custom', path: ['jurisdictions', i], message: `duplicate jurisdiction ${j}` });
      seen.add(j);
    });
  });

export type AssetCard = z.output<typeof assetCardInput>;

/**
 * A partial update: JSON merge patch (RFC 7396) semantics over the card fields; the
 * merged card is validated as a whole. `id` cannot change.
 */
export const assetCardPatch = z
  .object({
    name: z.unknown(),
    description: z.unknown(),
    version: z.unknown(),
    owner: z.unknown(),
    technical: z.unknown(),
    classification: z.unknown(),
    jurisdictions: z.unknown(),
    goldenThread: z.unknown(),
    governance: z.unknown(),
    constraints: z.unknown(),
    revision: z.number().int().positive().optional(),
  })
  .partial()
  .strict();

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Accept the upstream AIGRC card layout (and server-managed fields) on import. */
export function fromUpstreamLayout(raw: unknown): unknown {
  if (!isObj(raw)) return raw;
  const card: Record<string, unknown> = { ...raw };
  for (const k of [
    '$schema',
    'created',
    'updated',
    'createdAt',
    'updatedAt',
    'status',
    'revision',
    'compliance',
    'registeredAt',
    'retiredAt',
  ])
    delete card[k];
  if (isObj(card.ownership) && card.owner === undefined) {
    const ownership = card.ownership;
    const o = isObj(ownership.owner) ? { ...ownership.owner } : {};
    if (typeof ownership.team === 'string' && o.team === undefined) o.team = ownership.team;
    card.owner = o;
    delete card.ownership;
  }
  if (isObj(card.intent) && card.goldenThread === undefined) {
    const intent = card.intent;
    card.goldenThread =
      intent.linked && typeof intent.ticketSystem === 'string' && typeof intent.ticketId === 'string'
        ? {
            system: intent.ticketSystem,
            ref: intent.ticketId,
            ...(typeof intent.ticketUrl === 'string' ? { url: intent.ticketUrl } : {}),
          }
        : null;
    delete card.intent;
  }
  if (isObj(card.classification) && 'requiredArtifacts' in card.classification) {
    const { requiredArtifacts: _drop, ...rest } = card.classification;
    card.classification = rest;
  }
  if (isObj(card.technical) && 'sourceFiles' in card.technical) {
    const { sourceFiles: _drop, ...rest } = card.technical;
    card.technical = rest;
  }
  if (isObj(card.governance) && 'deployment' in card.governance) {
    const { deployment: _drop, ...rest } = card.governance;
    card.governance = rest;
  }
  return card;
}

/** Field paths a policy check may read (the card plus its lifecycle status). */
export const CARD_FIELD_PATHS = [
  'id',
  'name',
  'description',
  'version',
  'status',
  'owner',
  'owner.name',
  'owner.email',
  'owner.team',
  'technical.type',
  'technical.framework',
  'technical.frameworkVersion',
  'technical.model',
  'technical.provider',
  'technical.components',
  'classification.riskLevel',
  'classification.rationale',
  'classification.riskFactors.autonomousDecisions',
  'classification.riskFactors.customerFacing',
  'classification.riskFactors.toolExecution',
  'classification.riskFactors.externalDataAccess',
  'classification.riskFactors.piiProcessing',
  'classification.riskFactors.highStakesDecisions',
  'classification.euAiAct.category',
  'classification.euAiAct.transparencyRequired',
  'jurisdictions',
  'goldenThread',
  'goldenThread.system',
  'goldenThread.ref',
  'goldenThread.url',
  'goldenThread.status',
  'governance.status',
  'governance.approvals',
  'constraints.humanApprovalRequired',
  'constraints.monitoring.logAllDecisions',
  'constraints.monitoring.logToolInvocations',
] as const;
