// The check language of policy packs: a small declarative vocabulary, validated with
// zod and evaluated by code (never eval). A check reads the asset card (field paths of
// CARD_FIELD_PATHS) and the evidence linked to the asset, and yields
//   pass  - the requirement is met
//   fail  - the card states something the requirement forbids
//   gap   - the information or evidence the requirement needs is missing
//
// Leaves (exactly one comparator per leaf):
//   { field: P, present: true }         value set and not empty            else gap
//   { field: P, empty: true }           value unset or empty               else fail
//   { field: P, equals: V }             value = V                          else fail (gap when unset)
//   { field: P, in: [V...] }            value is one of                    else fail (gap when unset)
//   { field: P, notIn: [V...] }         value is none of                   else fail (gap when unset)
//   { field: P, minLength: N }          string/array length >= N           else gap
//   { field: P, includesAny: [V...] }   array shares an element with       else fail (gap when unset)
//   { evidence: { kinds: [K...], forControl?: bool, minCount?: N } }
//                                       that much evidence of those kinds  else gap
// Any leaf may set `outcome: fail|gap` (what a non-pass becomes) and `message`.
// Combinators: { all: [...] } (worst wins: fail > gap > pass), { any: [...] } (best
// wins), { not: check } (pass <-> fail; gap stays gap).
import { z } from 'zod';
import { CARD_FIELD_PATHS } from '../assets/schema.js';

export type Outcome = 'pass' | 'fail' | 'gap';
type Scalar = string | number | boolean;

interface LeafBase {
  outcome?: 'fail' | 'gap';
  message?: string;
}
export type Check =
  | { op: 'all'; all: Check[] }
  | { op: 'any'; any: Check[] }
  | { op: 'not'; not: Check }
  | (LeafBase & { op: 'present'; field: string; present: true })
  | (LeafBase & { op: 'empty'; field: string; empty: true })
  | (LeafBase & { op: 'equals'; field: string; equals: Scalar })
  | (LeafBase & { op: 'in'; field: string; in: Scalar[] })
  | (LeafBase & { op: 'notIn'; field: string; notIn: Scalar[] })
  | (LeafBase & { op: 'minLength'; field: string; minLength: number })
  | (LeafBase & { op: 'includesAny'; field: string; includesAny: Scalar[] })
  | (LeafBase & { op: 'evidence'; evidence: { kinds: string[]; forControl?: boolean; minCount?: number } });

const OPERATORS = [
  'all',
  'any',
  'not',
  'evidence',
  'present',
  'empty',
  'equals',
  'in',
  'notIn',
  'minLength',
  'includesAny',
] as const;
const FIELD_SET: ReadonlySet<string> = new Set(CARD_FIELD_PATHS);

const scalar = z.union([z.string(), z.number(), z.boolean()], {
  message: 'must be a string, number or boolean',
});
const field = z.string().refine((p) => FIELD_SET.has(p), {
  message: `unknown asset card field; one of: ${CARD_FIELD_PATHS.join(', ')}`,
});
const leafBase = {
  op: z.string(),
  outcome: z.enum(['fail', 'gap']).optional(),
  message: z.string().min(1).max(500).optional(),
};
export const EVIDENCE_KIND_RE = /^[a-z][a-z0-9-]{1,62}$/;
const evidenceKind = z.string().regex(EVIDENCE_KIND_RE, 'evidence kinds are lowercase words joined by "-"');

/** Which operator an object uses: the first operator key present (an explicit `op` wins). */
function detectOp(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const obj = raw as Record<string, unknown>;
  if (typeof obj.op === 'string') return obj;
  const op = OPERATORS.find((o) => o in obj) ?? '(none)';
  return { ...obj, op };
}

export const checkSchema: z.ZodType<Check> = z.lazy(() =>
  z.preprocess(
    detectOp,
    z.discriminatedUnion(
      'op',
      [
        z
          .object({ op: z.literal('all'), all: z.array(checkSchema).min(1, 'needs at least one check') })
          .strict(),
        z
          .object({ op: z.literal('any'), any: z.array(checkSchema).min(1, 'needs at least one check') })
          .strict(),
        z.object({ op: z.literal('not'), not: checkSchema }).strict(),
        z.object({ ...leafBase, op: z.literal('present'), field, present: z.literal(true) }).strict(),
        z.object({ ...leafBase, op: z.literal('empty'), field, empty: z.literal(true) }).strict(),
        z.object({ ...leafBase, op: z.literal('equals'), field, equals: scalar }).strict(),
        z.object({ ...leafBase, op: z.literal('in'), field, in: z.array(scalar).min(1) }).strict(),
        z.object({ ...leafBase, op: z.literal('notIn'), field, notIn: z.array(scalar).min(1) }).strict(),
        z
          .object({ ...leafBase, op: z.literal('minLength'), field, minLength: z.number().int().min(1) })
          .strict(),
        z
          .object({ ...leafBase, op: z.literal('includesAny'), field, includesAny: z.array(scalar).min(1) })
          .strict(),
        z
          .object({
            ...leafBase,
            op: z.literal('evidence'),
            evidence: z
              .object({
                kinds: z.array(evidenceKind).min(1),
                forControl: z.boolean().optional(),
                minCount: z.number().int().min(1).max(100).optional(),
              })
              .strict(),
          })
          .strict(),
      ],
      { error: () => `not a check: use one of the operators ${OPERATORS.join(', ')}` },
    ),
  ),
) as unknown as z.ZodType<Check>;

// ---- evaluation ------------------------------------------------------------------------

export interface EvidenceFact {
  kind: string;
  packId: string | null;
  controlId: string | null;
}

export interface Subject {
  /** The card plus its lifecycle status, as plain JSON. */
  card: Record<string, unknown>;
  evidence: readonly EvidenceFact[];
}

export interface CheckContext {
  packId: string;
  controlId: string;
}

export interface CheckResult {
  outcome: Outcome;
  reason: string;
}

export function readField(card: Record<string, unknown>, path: string): unknown {
  let value: unknown = card;
  for (const part of path.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const list = (vs: readonly unknown[]) => vs.map(show).join(', ');

function leaf(
  ok: boolean,
  missing: boolean,
  c: LeafBase,
  failReason: string,
  gapReason: string,
): CheckResult {
  if (ok) return { outcome: 'pass', reason: 'met' };
  if (missing) return { outcome: c.outcome ?? 'gap', reason: c.message ?? gapReason };
  return { outcome: c.outcome ?? 'fail', reason: c.message ?? failReason };
}

const RANK: Record<Outcome, number> = { pass: 0, gap: 1, fail: 2 };

export function evaluateCheck(check: Check, subject: Subject, ctx: CheckContext): CheckResult {
  switch (check.op) {
    case 'all': {
      let worst: CheckResult = { outcome: 'pass', reason: 'met' };
      const reasons: string[] = [];
      for (const c of check.all) {
        const r = evaluateCheck(c, subject, ctx);
        if (r.outcome !== 'pass') reasons.push(r.reason);
        if (RANK[r.outcome] > RANK[worst.outcome]) worst = r;
      }
      return worst.outcome === 'pass' ? worst : { outcome: worst.outcome, reason: reasons.join('; ') };
    }
    case 'any': {
      let best: CheckResult | undefined;
      const reasons: string[] = [];
      for (const c of check.any) {
        const r = evaluateCheck(c, subject, ctx);
        if (r.outcome === 'pass') return r;
        reasons.push(r.reason);
        if (!best || RANK[r.outcome] < RANK[best.outcome]) best = r;
      }
      return { outcome: best!.outcome, reason: reasons.join('; or ') };
    }
    case 'not': {
      const r = evaluateCheck(check.not, subject, ctx);
      if (r.outcome === 'gap') return r;
      return r.outcome === 'pass'
        ? { outcome: 'fail', reason: `must not hold: ${describe(check.not)}` }
        : { outcome: 'pass', reason: 'met' };
    }
    case 'evidence': {
      const { kinds, forControl, minCount = 1 } = check.evidence;
      const count = subject.evidence.filter(
        (e) =>
          kinds.includes(e.kind) &&
          (!forControl || (e.packId === ctx.packId && e.controlId === ctx.controlId)),
      ).length;
      const where = forControl ? ` linked to control ${ctx.packId}/${ctx.controlId}` : '';
      return leaf(
        count >= minCount,
        true,
        check,
        '',
        `needs ${minCount > 1 ? `${minCount} pieces of ` : ''}evidence of kind ${kinds.join(' or ')}${where} (found ${count})`,
      );
    }
    default:
      return evaluateLeaf(check, subject.card);
  }
}

type FieldLeaf = Extract<Check, { field: string }>;

function evaluateLeaf(c: FieldLeaf, card: Record<string, unknown>): CheckResult {
  const v = readField(card, c.field);
  const missing = isEmpty(v);
  const unset = `${c.field} is not set`;
  switch (c.op) {
    case 'present':
      return leaf(!missing, true, c, '', unset);
    case 'empty':
      return leaf(missing, false, c, `${c.field} must be empty (is ${show(v)})`, '');
    case 'equals':
      return leaf(
        !missing && v === c.equals,
        missing,
        c,
        `${c.field} is ${show(v)}; required: ${show(c.equals)}`,
        unset,
      );
    case 'in':
      return leaf(
        !missing && c.in.includes(v as Scalar),
        missing,
        c,
        `${c.field} is ${show(v)}; allowed: ${list(c.in)}`,
        unset,
      );
    case 'notIn':
      return leaf(
        !missing && !c.notIn.includes(v as Scalar),
        missing,
        c,
        `${c.field} is ${show(v)}, which is not allowed`,
        unset,
      );
    case 'minLength': {
      const len = typeof v === 'string' ? v.trim().length : Array.isArray(v) ? v.length : 0;
      return leaf(
        len >= c.minLength,
        true,
        c,
        '',
        `${c.field} needs at least ${c.minLength} ${Array.isArray(v) ? 'entries' : 'characters'} (has ${len})`,
      );
    }
    case 'includesAny': {
      const arr = Array.isArray(v) ? v : [];
      return leaf(
        arr.some((x) => c.includesAny.includes(x as Scalar)),
        missing,
        c,
        `${c.field} (${list(arr)}) includes none of ${list(c.includesAny)}`,
        unset,
      );
    }
  }
}

/** A short human description of a check (used in "not applicable" reasons). */
export function describe(c: Check): string {
  switch (c.op) {
    case 'all':
      return c.all.map(describe).join(' and ');
    case 'any':
      return `(${c.any.map(describe).join(' or ')})`;
    case 'not':
      return `not ${describe(c.not)}`;
    case 'evidence':
      return `evidence of kind ${c.evidence.kinds.join('/')}`;
    case 'present':
      return `${c.field} is set`;
    case 'empty':
      return `${c.field} is empty`;
    case 'equals':
      return `${c.field} = ${show(c.equals)}`;
    case 'in':
      return `${c.field} in [${list(c.in)}]`;
    case 'notIn':
      return `${c.field} not in [${list(c.notIn)}]`;
    case 'minLength':
      return `${c.field} has length >= ${c.minLength}`;
    case 'includesAny':
      return `${c.field} includes any of [${list(c.includesAny)}]`;
  }
}
