// Asset card routes: create, read, update (merge patch), list with filters, search and
// keyset pagination, and the lifecycle draft -> registered -> retired.
import express, { type Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../../common/errors.js';
import { canonicalJson } from '../../common/canonical-json.js';
import { allow } from '../auth/principal.js';
import { recomputeAsset } from '../compliance/engine.js';
import { jsonBody } from '../http/body.js';
import { actorLabel, audit, inOrg, type ApiDeps } from '../http/context.js';
import { limitSchema } from '../http/pagination.js';
import { parseBody, parseQuery, validationError } from '../http/validate.js';
import {
  getAssetOr404,
  insertAsset,
  listAssetsJson,
  setStatus,
  SORTS,
  toResource,
  updateAsset,
  type SortKey,
} from './repo.js';
import { assetCardPatch, mergePatch, type AssetStatus } from './schema.js';
import { registerImportExport } from './import-export.js';
import { assetKey, filterQuery, validateCard } from './validation.js';

const listQuery = z
  .object({
    limit: limitSchema(50),
    cursor: z.string().max(2000).optional(),
    sort: z.enum(Object.keys(SORTS) as [SortKey, ...SortKey[]]).default('-createdAt'),
    ...filterQuery,
  })
  .strict();

const TRANSITIONS: Record<AssetStatus, AssetStatus[]> = {
  draft: ['registered'],
  registered: ['retired'],
  retired: [],
};

const lifecycleBody = z
  .object({ status: z.enum(['registered', 'retired'], { message: 'must be registered or retired' }) })
  .strict();

export function assetsRouter(deps: ApiDeps): Router {
  const router = express.Router();
  // registered first: /assets/import and /assets/export are not asset ids
  registerImportExport(router, deps);

  router.get('/assets', ...allow('assets:read'), async (req, res) => {
    const q = parseQuery(listQuery, req);
    const { limit, cursor, sort, ...filters } = q;
    const page = await inOrg(deps, req, (c, orgId) => listAssetsJson(c, orgId, filters, sort, limit, cursor));
    // items arrive as JSON text from PostgreSQL (see listAssets)
    res
      .type('application/json')
      .send(
        `{"items":[${page.items.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)},"limit":${limit}}`,
      );
  });

  router.post('/assets', ...allow('assets:write', 'editor'), jsonBody(), async (req, res) => {
    const raw = parseBody(z.record(z.string(), z.unknown()), req);
    const { card, problems } = validateCard(raw);
    if (!card) throw validationError(problems, 'invalid asset card');
    const created = await inOrg(deps, req, async (c, orgId) => {
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
    res
      .status(201)
      .location(`/api/v1/assets/${encodeURIComponent(created.card_id)}`)
      .json(toResource(created));
  });

  router.get('/assets/:assetId', ...allow('assets:read'), async (req, res) => {
    const key = assetKey(req);
    const row = await inOrg(deps, req, (c, orgId) => getAssetOr404(c, orgId, key));
    res.json(toResource(row));
  });

  router.patch('/assets/:assetId', ...allow('assets:write', 'editor'), jsonBody(), async (req, res) => {
    const key = assetKey(req);
    const { revision, ...patch } = parseBody(assetCardPatch, req);
    const updated = await inOrg(deps, req, async (c, orgId) => {
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
    res.json(toResource(updated));
  });

  router.post(
    '/assets/:assetId/lifecycle',
    ...allow('assets:write', 'editor'),
    jsonBody(),
    async (req, res) => {
      const key = assetKey(req);
      const { status } = parseBody(lifecycleBody, req);
      const updated = await inOrg(deps, req, async (c, orgId) => {
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
      res.json(toResource(updated));
    },
  );

  return router;
}
