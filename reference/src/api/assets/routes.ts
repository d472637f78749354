// Asset card routes: create, read, update (merge patch), list with filters, search and
// keyset pagination, and the lifecycle draft -> registered -> retired. The actions live
// in service.ts, shared with GraphQL.
import express, { type Router } from 'express';
import { z } from 'zod';
import { allow } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import { inOrg, type ApiDeps } from '../http/context.js';
import { limitSchema } from '../http/pagination.js';
import { bodyOf, parseQuery } from '../http/validate.js';
import { getAssetOr404, listAssetsJson, SORTS, toResource, type SortKey } from './repo.js';
import { registerImportExport } from './import-export.js';
import { createAsset, patchAsset, transitionAsset } from './service.js';
import { assetKey, filterQuery } from './validation.js';

const listQuery = z
  .object({
    limit: limitSchema(50),
    cursor: z.string().max(2000).optional(),
    sort: z.enum(Object.keys(SORTS) as [SortKey, ...SortKey[]]).default('-createdAt'),
    ...filterQuery,
  })
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

  router.post('/assets', ...allow('assets:write', 'editor'), ...jsonBody(), async (req, res) => {
    const created = await createAsset(deps, req, bodyOf(req));
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

  router.patch('/assets/:assetId', ...allow('assets:write', 'editor'), ...jsonBody(), async (req, res) => {
    const key = assetKey(req);
    res.json(toResource(await patchAsset(deps, req, key, bodyOf(req))));
  });

  router.post(
    '/assets/:assetId/lifecycle',
    ...allow('assets:write', 'editor'),
    ...jsonBody(),
    async (req, res) => {
      const key = assetKey(req);
      res.json(toResource(await transitionAsset(deps, req, key, bodyOf(req))));
    },
  );

  return router;
}
