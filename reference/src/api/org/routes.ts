// The caller's organization, its domains and its members. Domains added through the API
// are unverified: marking a domain verified (it routes SSO users into the organization)
// is an operator action (aigos-admin org add-domain --verified true).
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../../common/errors.js';
import { UUID_RE } from '../../common/tenancy.js';
import { allow, auditActor, principalOf } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import type { ApiDeps } from '../http/context.js';
import { limitSchema } from '../http/pagination.js';
import { parseBody, parseQuery } from '../http/validate.js';
import type { AuditContext } from '../policies/service.js';
import {
  createUser,
  domainSchema,
  findMember,
  listMembers,
  orgOr404,
  passwordSchema,
  putDomain,
  removeDomain,
  removeMember,
  roleSchema,
  setMemberRole,
  updateOrg,
} from './service.js';

export const ctxOf = (req: Request): AuditContext => ({
  actor: auditActor(principalOf(req)),
  sourceAddress: req.ip,
  requestId: req.id,
});

const orgPatch = z.object({ name: z.string().trim().min(1).max(200) }).strict();
const domainBody = z.object({ domain: domainSchema }).strict();
const userBody = z
  .object({
    email: z.email('must be an e-mail address').max(320),
    name: z.string().trim().min(1).max(200),
    role: roleSchema,
    password: passwordSchema.optional(),
  })
  .strict();
const userPatch = z.object({ role: roleSchema }).strict();
const usersQuery = z.object({ limit: limitSchema(100), after: z.email().optional() }).strict();

function userKey(req: Request): string {
  const id = String(req.params.userId ?? '');
  if (!UUID_RE.test(id)) throw new HttpError(404, 'NOT_FOUND', `no member ${id.slice(0, 64)}`);
  return id;
}

export function orgRouter(deps: ApiDeps): Router {
  const router = express.Router();
  const orgId = (req: Request) => principalOf(req).orgId;

  router.get('/organization', ...allow('org:read'), async (req, res) => {
    res.json(await orgOr404(deps.pool, orgId(req)));
  });

  router.patch('/organization', ...allow('org:admin', 'admin'), ...jsonBody(), async (req, res) => {
    const patch = parseBody(orgPatch, req);
    res.json(await updateOrg(deps.pool, orgId(req), patch, ctxOf(req)));
  });

  router.post('/organization/domains', ...allow('org:admin', 'admin'), ...jsonBody(), async (req, res) => {
    const { domain } = parseBody(domainBody, req);
    const r = await putDomain(deps.pool, orgId(req), domain, false, ctxOf(req), { allowExisting: false });
    res.status(201).json({ domain: r.domain, verified: r.verified });
  });

  router.delete('/organization/domains/:domain', ...allow('org:admin', 'admin'), async (req, res) => {
    const parsed = domainSchema.safeParse(req.params.domain);
    if (!parsed.success) throw new HttpError(404, 'NOT_FOUND', 'no such domain');
    await removeDomain(deps.pool, orgId(req), parsed.data, ctxOf(req));
    res.status(204).end();
  });

  router.get('/users', ...allow('org:read'), async (req, res) => {
    const { limit, after } = parseQuery(usersQuery, req);
    const items = await listMembers(deps.pool, orgId(req), limit + 1, after);
    const page = items.slice(0, limit);
    res.json({ items: page, next: items.length > limit ? page[page.length - 1]!.email : null, limit });
  });

  router.get('/users/:userId', ...allow('org:read'), async (req, res) => {
    const member = await findMember(deps.pool, orgId(req), userKey(req));
    if (!member) throw new HttpError(404, 'NOT_FOUND', `no member ${req.params.userId}`);
    res.json(member);
  });

  router.post('/users', ...allow('org:admin', 'admin'), ...jsonBody(), async (req, res) => {
    const body = parseBody(userBody, req);
    const { user } = await createUser(
      deps.pool,
      { orgId: orgId(req), ...body, mustChangePassword: true, addExisting: false },
      ctxOf(req),
    );
    res.status(201).location(`/api/v1/users/${user.id}`).json(user);
  });

  router.patch('/users/:userId', ...allow('org:admin', 'admin'), ...jsonBody(), async (req, res) => {
    const id = userKey(req);
    const { role } = parseBody(userPatch, req);
    res.json(await setMemberRole(deps.pool, orgId(req), id, role, ctxOf(req)));
  });

  router.delete('/users/:userId', ...allow('org:admin', 'admin'), async (req, res) => {
    await removeMember(deps.pool, orgId(req), userKey(req), ctxOf(req));
    res.status(204).end();
  });

  return router;
}
