// Policy packs: a versioned set of controls, each with its official identifier (an
// article, a function-category-subcategory, a clause or an Annex A control), a
// requirement in our own words, and a check on the asset card or its evidence.
// Packs are YAML (or JSON) documents validated here; every problem is reported with its
// path, e.g. `controls[3].check.all[1].field`.
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { digestOf } from '../../common/canonical-json.js';
import { formatPath, issuesToProblems, type FieldProblem } from '../http/validate.js';
import { yamlToJs } from '../http/yaml.js';
import { checkSchema, describe, evaluateCheck, type Check, type Subject } from './checks.js';

export const BUILT_IN_PACK_IDS = ['eu-ai-act', 'nist-ai-rmf', 'iso-42001'] as const;
export const PACK_ID_RE = /^[a-z0-9][a-z0-9-]{1,62}$/;

const controlSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{0,62}$/, 'control ids are lowercase letters, digits, "." and "-"'),
    ref: z.string().trim().min(1).max(100),
    title: z.string().trim().min(1).max(200),
    requirement: z.string().trim().min(10, 'state the requirement (10+ characters)').max(2000),
    severity: z.enum(['critical', 'high', 'medium', 'low']).default('medium'),
    appliesWhen: checkSchema.optional(),
    check: checkSchema,
  })
  .strict();

export const packSchema = z
  .object({
    apiVersion: z.literal('aigos.dev/v1', { message: 'must be aigos.dev/v1' }),
    kind: z.literal('PolicyPack', { message: 'must be PolicyPack' }),
    id: z.string().regex(PACK_ID_RE, 'pack ids are 2-63 lowercase letters, digits and "-"'),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.0.0'),
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(2000).optional(),
    framework: z
      .object({
        name: z.string().trim().min(1).max(200),
        reference: z.string().trim().min(1).max(300),
        url: z.url().optional(),
      })
      .strict(),
    appliesWhen: checkSchema.optional(),
    controls: z.array(controlSchema).min(1, 'a pack needs at least one control').max(500),
  })
  .strict();

export type PolicyPack = z.output<typeof packSchema>;
export type Control = PolicyPack['controls'][number];

/** A check that uses no known operator is reported at the check, not at its synthetic `op`. */
function pointAtCheck(p: FieldProblem): FieldProblem {
  return p.code === 'invalid_union' && p.path.endsWith('.op') ? { ...p, path: p.path.slice(0, -3) } : p;
}

/** Duplicate control ids, reported even when other parts of the pack are invalid. */
function duplicateControls(value: unknown, where: (string | number)[]): FieldProblem[] {
  const controls = (value as { controls?: unknown } | null)?.controls;
  if (!Array.isArray(controls)) return [];
  const seen = new Map<string, number>();
  const out: FieldProblem[] = [];
  controls.forEach((c, i) => {
    const id = (c as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    if (seen.has(id))
      out.push({
        path: formatPath([...where, 'controls', i, 'id']),
        code: 'duplicate',
        message: `duplicate control id ${id} (also controls[${seen.get(id)}])`,
      });
    else seen.set(id, i);
  });
  return out;
}

export interface PackParseResult {
  packs: PolicyPack[];
  problems: FieldProblem[];
}

/** Validate raw pack objects (already parsed from YAML/JSON); `where` prefixes each path. */
export function validatePacks(docs: { value: unknown; where: (string | number)[] }[]): PackParseResult {
  const packs: PolicyPack[] = [];
  const problems: FieldProblem[] = [];
  for (const doc of docs) {
    const r = packSchema.safeParse(doc.value);
    const duplicates = duplicateControls(doc.value, doc.where);
    problems.push(...duplicates);
    if (r.success) {
      if (!duplicates.length) packs.push(r.data);
    } else problems.push(...issuesToProblems(r.error.issues, undefined, doc.where).map(pointAtCheck));
  }
  const ids = new Map<string, number>();
  packs.forEach((p, i) => {
    if (ids.has(`${p.id}@${p.version}`))
      problems.push({
        path: `documents[${i}].id`,
        code: 'duplicate',
        message: `pack ${p.id} ${p.version} appears twice`,
      });
    ids.set(`${p.id}@${p.version}`, i);
  });
  return { packs, problems };
}

/**
 * Parse a YAML or JSON text holding one pack, several YAML documents, a list of packs,
 * or `{ packs: [...] }`. Syntax errors are reported with line and column.
 */
export function parsePackText(text: string): PackParseResult {
  const problems: FieldProblem[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const values: { value: unknown; where: (string | number)[] }[] = [];
  list.forEach((doc, d) => {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      problems.push({
        path: list.length > 1 ? `documents[${d}]` : '',
        code: 'syntax',
        message: `${e.message.split('\n')[0]}${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`,
      });
    }
  });
  if (problems.length) return { packs: [], problems };
  list.forEach((doc, d) => {
    const prefix = list.length > 1 ? ['documents', d] : [];
    const js = yamlToJs(doc);
    if (!js.ok) {
      const path = [formatPath(prefix), js.path].filter(Boolean).join('.');
      problems.push({ path, code: js.code, message: js.message });
      return;
    }
    const value = js.value;
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) value.forEach((v, i) => values.push({ value: v, where: [...prefix, i] }));
    else if (typeof value === 'object' && Array.isArray((value as { packs?: unknown }).packs))
      (value as { packs: unknown[] }).packs.forEach((v, i) =>
        values.push({ value: v, where: [...prefix, 'packs', i] }),
      );
    else values.push({ value, where: prefix });
  });
  if (problems.length) return { packs: [], problems };
  if (values.length === 0)
    return {
      packs: [],
      problems: [{ path: '', code: 'empty', message: 'no policy pack found in the document' }],
    };
  return validatePacks(values);
}

export function packDigest(pack: PolicyPack): string {
  return digestOf(pack);
}

// ---- evaluation ----------------------------------------------------------------------

export interface ControlResult {
  packId: string;
  packVersion: string;
  controlId: string;
  ref: string;
  title: string;
  severity: Control['severity'];
  status: 'pass' | 'fail' | 'gap';
  applicable: boolean;
  reason: string;
  /** not applicable because the whole pack does not apply */
  packWide?: boolean;
}

export interface AssetEvaluation {
  /** 0..100 over applicable controls; null when none applies. A failed critical control makes it 0. */
  score: number | null;
  passed: number;
  failed: number;
  gaps: number;
  notApplicable: number;
  results: ControlResult[];
}

function applicability(
  check: Check | undefined,
  subject: Subject,
  packId: string,
  controlId: string,
): string | undefined {
  if (!check) return undefined;
  const r = evaluateCheck(check, subject, { packId, controlId });
  // unknown facts (gap) keep a control applicable: missing data must not hide a duty
  return r.outcome === 'fail' ? `not applicable: applies when ${describe(check)} (${r.reason})` : undefined;
}

export function evaluateAsset(subject: Subject, packs: readonly PolicyPack[]): AssetEvaluation {
  const results: ControlResult[] = [];
  let passed = 0;
  let failed = 0;
  let gaps = 0;
  let notApplicable = 0;
  let criticalFailed = false;
  for (const pack of packs) {
    const packNa = applicability(pack.appliesWhen, subject, pack.id, '*');
    for (const control of pack.controls) {
      const base = {
        packId: pack.id,
        packVersion: pack.version,
        controlId: control.id,
        ref: control.ref,
        title: control.title,
        severity: control.severity,
      };
      const na = packNa ?? applicability(control.appliesWhen, subject, pack.id, control.id);
      if (na) {
        notApplicable++;
        results.push({
          ...base,
          status: 'pass',
          applicable: false,
          reason: na,
          ...(packNa ? { packWide: true } : {}),
        });
        continue;
      }
      const r = evaluateCheck(control.check, subject, { packId: pack.id, controlId: control.id });
      if (r.outcome === 'pass') passed++;
      else if (r.outcome === 'fail') {
        failed++;
        if (control.severity === 'critical') criticalFailed = true;
      } else gaps++;
      results.push({
        ...base,
        status: r.outcome,
        applicable: true,
        reason: r.outcome === 'pass' ? 'requirement met' : r.reason,
      });
    }
  }
  const applicable = passed + failed + gaps;
  const score =
    applicable === 0 ? null : criticalFailed ? 0 : Math.round((10000 * passed) / applicable) / 100;
  return { score, passed, failed, gaps, notApplicable, results };
}
