// The asset card actions of REST and GraphQL: create, update (merge patch) and the
// lifecycle draft -> registered -> retired. Each validates its input, writes in the
// caller's organization, re-evaluates the asset's compliance and appends the audit entry
// in the same transaction (live updates go out once it commits).
import type { Request } from 'express';
import { z } from 'zod';
import { canonicalJson } from '../../common/canonical-json.js';
import { HttpError } from '../../common/errors.js';
import { recomputeAsset } from '../compliance/engine.js';
import { actorLabel, audit, inOrg, type ApiDeps } from '../http/context.js';
import { parseWith, validationError } from '../http/validate.js';
import { getAssetOr404, insertAsset, setStatus, updateAsset, type AssetRow } from './repo.js';
import { assetCardPatch, mergePatch, type AssetStatus } from './schema.js';
import { checkAssetKey, validateCard } from './validation.js';

const TRANSITIONS: Record<AssetStatus, AssetStatus[]> = {
  draft: ['registered'],
  registered: ['retired'],
  retired: [],
};

const lifecycleBody = z
  .object({ status: z.enum(['registered', 'retired'], { message: 'must be registered or retired' }) })
  .strict();

/** POST /assets: a new card (either layout) in draft. */
export async function createAsset(deps: ApiDeps, req: Request, input: unknown): Promise<AssetRow> {
  const raw = parseWith(z.record(z.string(), z.unknown()), input, 'body');
  const { card, problems } = validateCard(raw);
  if (!card) throw validationError(problems, 'invalid asset card');
  return inOrg(deps, req, async (c, orgId) => {
    const id = await insertAsset(c, orgId, card, actorLabel(req));
    await recomputeAsset(c, orgId, id, 'asset.created');
    const row = await getAssetOr404(c, orgId, id);
    await audit(c, req, {
      action: 'asset.created',
      target: { type: 'asset', id: row.card_id },
      after: row.card,
    });
    return row;
  });
}

/** PATCH /assets/:id: a JSON merge patch, optionally guarded by `revision`. */
export async function patchAsset(
  deps: ApiDeps,
  req: Request,
  key: string,
  input: unknown,
): Promise<AssetRow> {
  checkAssetKey(key);
  const { revision, ...patch } = parseWith(assetCardPatch, input, 'body');
  return inOrg(deps, req, async (c, orgId) => {
    const row = await getAssetOr404(c, orgId, key, true);
    if (row.status === 'retired')
      throw new HttpError(409, 'ASSET_RETIRED', `asset ${row.card_id} is retired and can no longer change`);
    if (revision !== undefined && revision !== row.revision)
      throw new HttpError(
        409,
        'REVISION_CONFLICT',
        `asset ${row.card_id} is at revision ${row.revision}, not ${revision}; reload and retry`,
      );
    const merged = mergePatch(row.card, patch) as Record<string, unknown>;
    const { card, problems } = validateCard({ ...merged, id: row.card_id });
    if (!card) throw validationError(problems, 'the updated asset card is not valid');
    if (canonicalJson(card) === canonicalJson(row.card)) return row;
    await updateAsset(c, orgId, row.id, card);
    await recomputeAsset(c, orgId, row.id, 'asset.updated');
    await audit(c, req, {
      action: 'asset.updated',
      target: { type: 'asset', id: row.card_id },
      before: row.card,
      after: card,
    });
    return getAssetOr404(c, orgId, row.id);
  });
}

/** POST /assets/:id/lifecycle: `{ status: registered | retired }`, one step at a time. */
export async function transitionAsset(
  deps: ApiDeps,
  req: Request,
  key: string,
  input: unknown,
): Promise<AssetRow> {
  checkAssetKey(key);
  const { status } = parseWith(lifecycleBody, input, 'body');
  return inOrg(deps, req, async (c, orgId) => {
    const row = await getAssetOr404(c, orgId, key, true);
    if (!TRANSITIONS[row.status].includes(status)) {
      const allowed = TRANSITIONS[row.status];
      throw new HttpError(
        409,
        'INVALID_TRANSITION',
        `asset ${row.card_id} is ${row.status}; it can move to ${allowed.length ? allowed.join(' or ') : 'nothing (final state)'}, not ${status}`,
        [{ from: row.status, to: status, allowed }],
      );
    }
    await setStatus(c, orgId, row.id, status);
    await recomputeAsset(c, orgId, row.id, `asset.${status}`);
    await audit(c, req, {
      action: status === 'registered' ? 'asset.registered' : 'asset.retired',
      target: { type: 'asset', id: row.card_id },
      before: { status: row.status },
      after: { status },
    });
    return getAssetOr404(c, orgId, row.id);
  });
}
