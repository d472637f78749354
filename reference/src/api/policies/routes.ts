// Policy pack routes: list, read (JSON or YAML), import custom packs (YAML/JSON, every
// problem reported with its path), import built-in packs, activate and deactivate. The
// actions are in service.ts, shared with GraphQL.
import express, { type Request, type Router } from 'express';
import { stringify } from 'yaml';
import { z } from 'zod';
import { HttpError } from '../../common/errors.js';
import { allow } from '../auth/principal.js';
import { documentBody, jsonBody } from '../http/body.js';
import type { ApiDeps } from '../http/context.js';
import { boolParam, formatParam } from '../http/query.js';
import { bodyOf, parseQuery } from '../http/validate.js';
import {
  activatePack,
  checkPackKey,
  deactivatePack,
  importCustomPacks,
  installBuiltInPacks,
  packOf,
  packsOf,
} from './service.js';

const packKey = (req: Request): string => checkPackKey(String(req.params.packId ?? ''));

const listQuery = z.object({ active: boolParam.optional() }).strict();
const getQuery = z
  .object({ version: z.string().max(50).optional(), format: formatParam.default('json') })
  .strict();
const importQuery = z.object({ dryRun: boolParam.default(false) }).strict();

export function policiesRouter(deps: ApiDeps): Router {
  const router = express.Router();

  router.get('/policy-packs', ...allow('policies:read'), async (req, res) => {
    const { active } = parseQuery(listQuery, req);
    res.json({ items: await packsOf(deps, req, active) });
  });

  router.post(
    '/policy-packs/import',
    ...allow('policies:write', 'admin'),
    ...documentBody(),
    async (req, res) => {
      const { dryRun } = parseQuery(importQuery, req);
      if (req.body === undefined)
        throw new HttpError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'send the pack as application/yaml or application/json',
        );
      const result = await importCustomPacks(deps, req, req.body, { dryRun });
      res.status(dryRun ? 200 : 201).json({ dryRun, ...result });
    },
  );

  router.post(
    '/policy-packs/built-in',
    ...allow('policies:write', 'admin'),
    ...jsonBody(),
    async (req, res) => {
      res.status(201).json(await installBuiltInPacks(deps, req, bodyOf(req)));
    },
  );

  router.get('/policy-packs/:packId', ...allow('policies:read'), async (req, res) => {
    const packId = packKey(req);
    const { version, format } = parseQuery(getQuery, req);
    const { summary, definition } = await packOf(deps, req, packId, version);
    if (format === 'yaml') res.type('application/yaml').send(stringify(definition, { lineWidth: 0 }));
    else res.json({ ...summary, definition });
  });

  router.post(
    '/policy-packs/:packId/activate',
    ...allow('policies:write', 'admin'),
    ...jsonBody(),
    async (req, res) => {
      const packId = packKey(req);
      res.json(await activatePack(deps, req, packId, bodyOf(req)));
    },
  );

  router.post('/policy-packs/:packId/deactivate', ...allow('policies:write', 'admin'), async (req, res) => {
    res.json(await deactivatePack(deps, req, packKey(req)));
  });

  return router;
}
