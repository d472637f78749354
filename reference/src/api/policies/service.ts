// Importing, activating and listing policy packs; shared by the API routes and the
// operator CLI (`aigos-admin policy import`). A pack version is immutable: importing the
// same version with other content is refused; a new version replaces the active one.
// The request-level actions at the end (validation, the caller's organization and audit
// context) are what the REST routes and GraphQL both call.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { appendAudit, type AuditActor } from '../../common/audit.js';
import { HttpError } from '../../common/errors.js';
import { PACKAGE_ROOT } from '../../common/paths.js';
import { auditActor, principalOf } from '../auth/principal.js';
import { recomputeOrg, type RecomputeSummary } from '../compliance/engine.js';
import { inOrg, type ApiDeps } from '../http/context.js';
import { parseWith, validationError, type FieldProblem } from '../http/validate.js';
import {
  BUILT_IN_PACK_IDS,
  PACK_ID_RE,
  packDigest,
  parsePackText,
  validatePacks,
  type PolicyPack,
} from './pack.js';

export const BUILT_IN_DIR = join(PACKAGE_ROOT, 'fixtures', 'policy-packs', 'built-in');

export interface AuditContext {
  actor: AuditActor;
  sourceAddress?: string;
  requestId?: string;
}

/** Read and validate built-in packs by id; unknown ids are reported. */
export async function loadBuiltInPacks(ids: readonly string[]): Promise<PolicyPack[]> {
  const unknown = ids.filter((id) => !(BUILT_IN_PACK_IDS as readonly string[]).includes(id));
  if (unknown.length)
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      `unknown built-in pack(s): ${unknown.join(', ')}; available: ${BUILT_IN_PACK_IDS.join(', ')}`,
      [{ path: 'policies', code: 'unknown_pack', message: `unknown: ${unknown.join(', ')}` }],
    );
  const packs: PolicyPack[] = [];
  for (const id of ids) {
    const parsed = parsePackText(await readFile(join(BUILT_IN_DIR, `${id}.yaml`), 'utf8'));
    if (parsed.problems.length || parsed.packs.length !== 1)
      throw new Error(
        `built-in pack ${id} is invalid: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
    packs.push(parsed.packs[0]!);
  }
  return packs;
}

export type ImportOutcome = 'imported' | 'activated' | 'unchanged';

export interface ImportResult {
  packs: { id: string; version: string; name: string; controls: number; result: ImportOutcome }[];
  recompute?: RecomputeSummary;
}

/** Import (and activate) packs into an organization; client bound to it (withOrg). */
export async function importPacks(
  client: pg.PoolClient,
  orgId: string,
  packs: readonly PolicyPack[],
  source: 'built-in' | 'custom',
  ctx: AuditContext,
  opts: { dryRun?: boolean } = {},
): Promise<ImportResult> {
  if (source === 'custom') {
    const reserved: FieldProblem[] = packs
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => (BUILT_IN_PACK_IDS as readonly string[]).includes(p.id))
      .map(({ p, i }) => ({
        path: packs.length > 1 ? `[${i}].id` : 'id',
        code: 'reserved',
        message: `${p.id} is a built-in pack id; choose another id for a custom pack`,
      }));
    if (reserved.length)
      throw new HttpError(400, 'VALIDATION_FAILED', 'custom packs cannot replace built-in packs', reserved);
  }
  const results: ImportResult['packs'] = [];
  for (const pack of packs) {
    const digest = packDigest(pack);
    const existing = await client.query<{ id: string; digest: string; active: boolean }>(
      `SELECT id, digest, active FROM policy_packs WHERE organization_id = $1 AND pack_id = $2 AND version = $3 FOR UPDATE`,
      [orgId, pack.id, pack.version],
    );
    const row = existing.rows[0];
    const summary = { id: pack.id, version: pack.version, name: pack.name, controls: pack.controls.length };
    if (row && row.digest !== digest)
      throw new HttpError(
        409,
        'CONFLICT',
        `pack ${pack.id} version ${pack.version} already exists with different content; give the changed pack a new version`,
      );
    if (row?.active) {
      results.push({ ...summary, result: 'unchanged' });
      continue;
    }
    if (opts.dryRun) {
      results.push({ ...summary, result: row ? 'activated' : 'imported' });
      continue;
    }
    await client.query(
      `UPDATE policy_packs SET active = false WHERE organization_id = $1 AND pack_id = $2 AND active`,
      [orgId, pack.id],
    );
    let packRowId: string;
    if (row) {
      await client.query(
        `UPDATE policy_packs SET active = true, activated_at = now() WHERE id = $1 AND organization_id = $2`,
        [row.id, orgId],
      );
      packRowId = row.id;
    } else {
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO policy_packs (organization_id, pack_id, version, name, source, definition, digest, control_count, active, imported_by, activated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9, now()) RETURNING id`,
        [
          orgId,
          pack.id,
          pack.version,
          pack.name,
          source,
          JSON.stringify(pack),
          digest,
          pack.controls.length,
          ctx.actor.label ?? ctx.actor.type,
        ],
      );
      packRowId = inserted.rows[0]!.id;
    }
    await appendAudit(client, {
      orgId,
      ...ctx,
      action: row ? 'policy.activated' : 'policy.imported',
      target: { type: 'policy-pack', id: `${pack.id}@${pack.version}` },
      after: { packId: pack.id, version: pack.version, digest, source, rowId: packRowId },
    });
    results.push({ ...summary, result: row ? 'activated' : 'imported' });
  }
  const changed = results.some((r) => r.result !== 'unchanged');
  return {
    packs: results,
    recompute: changed && !opts.dryRun ? await recomputeOrg(client, orgId, 'policy.imported') : undefined,
  };
}

/** Activate one stored version (the latest when none named), or deactivate the pack. */
export async function setPackActive(
  client: pg.PoolClient,
  orgId: string,
  packId: string,
  active: boolean,
  ctx: AuditContext,
  version?: string,
): Promise<{ id: string; version: string; active: boolean; recompute: RecomputeSummary }> {
  const versions = await client.query<{ id: string; version: string; active: boolean }>(
    `SELECT id, version, active FROM policy_packs WHERE organization_id = $1 AND pack_id = $2 ORDER BY created_at DESC FOR UPDATE`,
    [orgId, packId],
  );
  if (!versions.rows.length) throw new HttpError(404, 'NOT_FOUND', `no policy pack ${packId}`);
  const target = active
    ? version
      ? versions.rows.find((v) => v.version === version)
      : versions.rows[0]
    : versions.rows.find((v) => v.active);
  if (!target) {
    if (active) throw new HttpError(404, 'NOT_FOUND', `policy pack ${packId} has no version ${version}`);
    throw new HttpError(409, 'NOT_ACTIVE', `policy pack ${packId} is not active`);
  }
  await client.query(
    `UPDATE policy_packs SET active = false WHERE organization_id = $1 AND pack_id = $2 AND active`,
    [orgId, packId],
  );
  if (active)
    await client.query(
      `UPDATE policy_packs SET active = true, activated_at = now() WHERE id = $1 AND organization_id = $2`,
      [target.id, orgId],
    );
  await appendAudit(client, {
    orgId,
    ...ctx,
    action: active ? 'policy.activated' : 'policy.deactivated',
    target: { type: 'policy-pack', id: `${packId}@${target.version}` },
    before: { active: target.active },
    after: { active },
  });
  const recompute = await recomputeOrg(client, orgId, active ? 'policy.activated' : 'policy.deactivated');
  return { id: packId, version: target.version, active, recompute };
}

export interface PackSummary {
  id: string;
  version: string;
  name: string;
  source: string;
  active: boolean;
  controls: number;
  digest: string;
  importedBy: string | null;
  createdAt: string;
  activatedAt: string | null;
}

export async function listPacks(
  client: pg.PoolClient,
  orgId: string,
  activeOnly = false,
): Promise<PackSummary[]> {
  const r = await client.query<{
    pack_id: string;
    version: string;
    name: string;
    source: string;
    active: boolean;
    control_count: number;
    digest: string;
    imported_by: string | null;
    created_at: Date;
    activated_at: Date | null;
  }>(
    `SELECT pack_id, version, name, source, active, control_count, digest, imported_by, created_at, activated_at
       FROM policy_packs WHERE organization_id = $1 AND ($2::boolean IS FALSE OR active)
      ORDER BY pack_id, created_at DESC`,
    [orgId, activeOnly],
  );
  return r.rows.map((p) => ({
    id: p.pack_id,
    version: p.version,
    name: p.name,
    source: p.source,
    active: p.active,
    controls: p.control_count,
    digest: p.digest,
    importedBy: p.imported_by,
    createdAt: p.created_at.toISOString(),
    activatedAt: p.activated_at?.toISOString() ?? null,
  }));
}

export async function getPack(
  client: pg.PoolClient,
  orgId: string,
  packId: string,
  version?: string,
): Promise<{ summary: PackSummary; definition: PolicyPack }> {
  const r = await client.query<{ version: string; definition: PolicyPack }>(
    `SELECT version, definition FROM policy_packs WHERE organization_id = $1 AND pack_id = $2 AND ($3::text IS NULL OR version = $3)
      ORDER BY active DESC, created_at DESC LIMIT 1`,
    [orgId, packId, version ?? null],
  );
  const row = r.rows[0];
  if (!row)
    throw new HttpError(
      404,
      'NOT_FOUND',
      version ? `no policy pack ${packId} version ${version}` : `no policy pack ${packId}`,
    );
  const summary = (await listPacks(client, orgId)).find((p) => p.id === packId && p.version === row.version)!;
  return { summary, definition: row.definition };
}

// ---- request-level actions (REST routes and GraphQL) -----------------------------------

/** The caller as the audit trail records it: actor, source address, request id. */
export const auditContextOf = (req: Request): AuditContext => ({
  actor: auditActor(principalOf(req)),
  sourceAddress: req.ip,
  requestId: req.id,
});

/** GET /policy-packs: every stored version; active true: only active ones, false: only the others. */
export async function packsOf(deps: ApiDeps, req: Request, active?: boolean): Promise<PackSummary[]> {
  const items = await inOrg(deps, req, (c, orgId) => listPacks(c, orgId, active === true));
  return active === false ? items.filter((p) => !p.active) : items;
}

/** GET /policy-packs/:id: one version (the named one, else the active or latest) with its document. */
export function packOf(deps: ApiDeps, req: Request, packId: string, version?: string) {
  checkPackKey(packId);
  return inOrg(deps, req, (c, orgId) => getPack(c, orgId, packId, version));
}

/** A pack id that cannot name a pack is simply not found. */
export function checkPackKey(id: string): string {
  if (!PACK_ID_RE.test(id)) throw new HttpError(404, 'NOT_FOUND', `no policy pack ${id.slice(0, 70)}`);
  return id;
}

/**
 * Custom packs from a document: YAML or JSON text, or an already parsed value (one pack
 * or a list). Every problem is reported with its path; nothing is imported unless all
 * are valid.
 */
export function parseCustomPacks(document: unknown): PolicyPack[] {
  const parsed =
    typeof document === 'string'
      ? parsePackText(document)
      : validatePacks(
          Array.isArray(document)
            ? document.map((value: unknown, i: number) => ({ value, where: [i] }))
            : [{ value: document, where: [] }],
        );
  if (parsed.problems.length)
    throw validationError(
      parsed.problems.map((p) => ({ in: 'body' as const, ...p })),
      'the policy pack is not valid; nothing was imported',
    );
  return parsed.packs;
}

/** POST /policy-packs/import: validate and import (and activate) custom packs. */
export async function importCustomPacks(
  deps: ApiDeps,
  req: Request,
  document: unknown,
  opts: { dryRun?: boolean } = {},
): Promise<ImportResult> {
  const packs = parseCustomPacks(document);
  return inOrg(deps, req, (c, orgId) =>
    importPacks(c, orgId, packs, 'custom', auditContextOf(req), { dryRun: opts.dryRun ?? false }),
  );
}

const builtInBody = z
  .object({
    policies: z
      .array(z.enum(BUILT_IN_PACK_IDS, { message: `must be one of ${BUILT_IN_PACK_IDS.join(', ')}` }))
      .min(1)
      .default([...BUILT_IN_PACK_IDS]),
  })
  .strict();

/** POST /policy-packs/built-in: `{ policies?: [ids] }` (all three when absent). */
export async function installBuiltInPacks(
  deps: ApiDeps,
  req: Request,
  input: unknown,
): Promise<ImportResult> {
  const { policies } = parseWith(builtInBody, input, 'body');
  const packs = await loadBuiltInPacks(policies);
  return inOrg(deps, req, (c, orgId) => importPacks(c, orgId, packs, 'built-in', auditContextOf(req)));
}

const activateBody = z.object({ version: z.string().min(1).max(50).optional() }).strict();

/** POST /policy-packs/:id/activate: `{ version? }` (the latest stored version when absent). */
export function activatePack(deps: ApiDeps, req: Request, packId: string, input: unknown) {
  checkPackKey(packId);
  const { version } = parseWith(activateBody, input, 'body');
  return inOrg(deps, req, (c, orgId) => setPackActive(c, orgId, packId, true, auditContextOf(req), version));
}

/** POST /policy-packs/:id/deactivate. */
export function deactivatePack(deps: ApiDeps, req: Request, packId: string) {
  checkPackKey(packId);
  return inOrg(deps, req, (c, orgId) => setPackActive(c, orgId, packId, false, auditContextOf(req)));
}
