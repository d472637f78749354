// Policy pack routes: list, read (JSON or YAML), import custom packs (YAML/JSON, every
// problem reported with its path), import built-in packs, activate and deactivate.
import express, { type Request, type Router } from 'express';
import { stringify } from 'yaml';
import { z } from 'zod';
import { HttpError } from '../../common/errors.js';
import { allow, auditActor, principalOf } from '../auth/principal.js';
import { documentBody, jsonBody } from '../http/body.js';
import { inOrg, type ApiDeps } from '../http/context.js';
import { boolParam, formatParam } from '../http/query.js';
import { parseBody, parseQuery, validationError } from '../http/validate.js';
import { BUILT_IN_PACK_IDS, PACK_ID_RE, parsePackText, validatePacks } from './pack.js';
import {
  getPack,
  importPacks,
  listPacks,
  loadBuiltInPacks,
  setPackActive,
  type AuditContext,
} from './service.js';

const ctxOf = (req: Request): AuditContext => ({
  actor: auditActor(principalOf(req)),
  sourceAddress: req.ip,
  requestId: req.id,
});

function packKey(req: Request): string {
  const id = String(req.params.packId ?? '');
  if (!PACK_ID_RE.test(id)) throw new HttpError(404, 'NOT_FOUND', `no policy pack ${id.slice(0, 70)}`);
  return id;
}

const listQuery = z.object({ active: boolParam.optional() }).strict();
const getQuery = z
  .object({ version: z.string().max(50).optional(), format: formatParam.default('json') })
  .strict();
const importQuery = z.object({ dryRun: boolParam.default(false) }).strict();
const builtInBody = z
  .object({
    policies: z
      .array(z.enum(BUILT_IN_PACK_IDS, { message: `must be one of ${BUILT_IN_PACK_IDS.join(', ')}` }))
      .min(1)
      .default([...BUILT_IN_PACK_IDS]),
  })
  .strict();
const activateBody = z.object({ version: z.string().min(1).max(50).optional() }).strict();

export function policiesRouter(deps: ApiDeps): Router {
  const router = express.Router();

  router.get('/policy-packs', ...allow('policies:read'), async (req, res) => {
    const { active } = parseQuery(listQuery, req);
    const items = await inOrg(deps, req, (c, orgId) => listPacks(c, orgId, active === true));
    res.json({ items: active === false ? items.filter((p) => !p.active) : items });
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
      const parsed =
        typeof req.body === 'string'
          ? parsePackText(req.body)
          : validatePacks(
              Array.isArray(req.body)
                ? req.body.map((value: unknown, i: number) => ({ value, where: [i] }))
                : [{ value: req.body, where: [] }],
            );
      if (parsed.problems.length)
        throw validationError(
          parsed.problems.map((p) => ({ in: 'body' as const, ...p })),
          'the policy pack is not valid; nothing was imported',
        );
      const result = await inOrg(deps, req, (c, orgId) =>
        importPacks(c, orgId, parsed.packs, 'custom', ctxOf(req), { dryRun }),
      );
      res.status(dryRun ? 200 : 201).json({ dryRun, ...result });
    },
  );

  router.post('/policy-packs/built-in', ...allow('policies:write', 'admin'), jsonBody(), async (req, res) => {
    const { policies } = parseBody(builtInBody, req);
    const packs = await loadBuiltInPacks(policies);
    const result = await inOrg(deps, req, (c, orgId) => importPacks(c, orgId, packs, 'built-in', ctxOf(req)));
    res.status(201).json(result);
  });

  router.get('/policy-packs/:packId', ...allow('policies:read'), async (req, res) => {
    const packId = packKey(req);
    const { version, format } = parseQuery(getQuery, req);
    const { summary, definition } = await inOrg(deps, req, (c, orgId) => getPack(c, orgId, packId, version));
    if (format === 'yaml') res.type('application/yaml').send(stringify(definition, { lineWidth: 0 }));
    else res.json({ ...summary, definition });
  });

  router.post(
    '/policy-packs/:packId/activate',
    ...allow('policies:write', 'admin'),
    jsonBody(),
    async (req, res) => {
      const packId = packKey(req);
      const { version } = parseBody(activateBody, req);
      res.json(
        await inOrg(deps, req, (c, orgId) => setPackActive(c, orgId, packId, true, ctxOf(req), version)),
      );
    },
  );

  router.post('/policy-packs/:packId/deactivate', ...allow('policies:write', 'admin'), async (req, res) => {
    const packId = packKey(req);
    res.json(await inOrg(deps, req, (c, orgId) => setPackActive(c, orgId, packId, false, ctxOf(req))));
  });

  return router;
}
