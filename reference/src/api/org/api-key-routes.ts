// API key management for the caller's organization. A caller can never mint a key
// stronger than itself: the key's role is at most the caller's, and its scopes a subset
// of the caller's scopes.
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../../common/errors.js';
import { UUID_RE } from '../../common/tenancy.js';
import { ALL_SCOPES, allow, hasScope, principalOf, roleAtLeast } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import type { ApiDeps } from '../http/context.js';
import { boolParam } from '../http/query.js';
import { parseBody, parseQuery, validationError } from '../http/validate.js';
import { ctxOf } from './routes.js';
import { createApiKey, listApiKeys, revokeApiKey, roleSchema, scopeSchema } from './service.js';
import { isoDateTime } from '../http/datetime.js';

const createBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: roleSchema.default('editor'),
    scopes: z.array(scopeSchema).min(1, 'name at least one scope'),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
    expiresAt: isoDateTime.optional(),
    userId: z.string().regex(UUID_RE, 'must be a user id').optional(),
  })
  .strict()
  .refine((b) => !(b.expiresAt && b.expiresInDays), {
    message: 'give expiresAt or expiresInDays, not both',
    path: ['expiresAt'],
  });

const listQuery = z.object({ includeRevoked: boolParam.default(false) }).strict();

export function apiKeysRouter(deps: ApiDeps): Router {
  const router = express.Router();

  router.get('/api-keys', ...allow('org:admin', 'admin'), async (req, res) => {
    const { includeRevoked } = parseQuery(listQuery, req);
    res.json({ items: await listApiKeys(deps.pool, principalOf(req).orgId, includeRevoked) });
  });

  router.post('/api-keys', ...allow('org:admin', 'admin'), ...jsonBody(), async (req: Request, res) => {
    const p = principalOf(req);
    const body = parseBody(createBody, req);
    const problems = [];
    if (!roleAtLeast(p.role, body.role))
      problems.push({
        in: 'body' as const,
        path: 'role',
        code: 'too_big',
        message: `at most your own role (${p.role})`,
      });
    body.scopes.forEach((s, i) => {
      const held = s === ALL_SCOPES ? p.kind !== 'api-key' || p.scopes.includes(ALL_SCOPES) : hasScope(p, s);
      if (!held)
        problems.push({
          in: 'body' as const,
          path: `scopes[${i}]`,
          code: 'not_held',
          message: `you do not hold ${s}`,
        });
    });
    if (problems.length) throw validationError(problems, 'a key cannot have more rights than its creator');
    const expiresAt = body.expiresAt
      ? new Date(body.expiresAt)
      : body.expiresInDays
        ? new Date(Date.now() + body.expiresInDays * 86_400_000)
        : undefined;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw validationError([
        { in: 'body', path: 'expiresAt', code: 'too_small', message: 'must be in the future' },
      ]);
    const { key, record } = await createApiKey(
      deps.pool,
      {
        orgId: p.orgId,
        name: body.name,
        role: body.role,
        scopes: body.scopes,
        userId: body.userId ?? (p.kind !== 'api-key' ? p.userId : undefined),
        expiresAt,
      },
      ctxOf(req),
    );
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ ...record, key, note: 'the key is shown once; store it now' });
  });

  router.delete('/api-keys/:keyId', ...allow('org:admin', 'admin'), async (req, res) => {
    const id = String(req.params.keyId ?? '');
    if (!UUID_RE.test(id)) throw new HttpError(404, 'NOT_FOUND', `no API key ${id.slice(0, 64)}`);
    res.json(await revokeApiKey(deps.pool, principalOf(req).orgId, id, ctxOf(req)));
  });

  return router;
}
