// GET /api/v1/me: who the caller is, in which organization and with which role; what
// `aigrc status` prints (seed-review row 17).
import express, { type Router } from 'express';
import { principalOf } from '../auth/principal.js';
import type { ApiDeps } from '../http/context.js';
import { findMember, orgOr404 } from '../org/service.js';

export function meRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.get('/me', async (req, res) => {
    const p = principalOf(req);
    const org = await orgOr404(deps.pool, p.orgId);
    const user = p.userId ? await findMember(deps.pool, p.orgId, p.userId) : undefined;
    res.json({
      controlPlane: { url: deps.publicUrl },
      organization: { id: org.id, slug: org.slug, name: org.name, plan: org.plan },
      user: user ? { id: user.id, email: user.email, name: user.name } : null,
      role: p.role,
      scopes: p.scopes,
      authentication:
        p.kind === 'api-key'
          ? { kind: p.kind, apiKey: { id: p.apiKeyId, name: p.keyName, hint: `aigos_${p.keyPrefix}_…` } }
          : { kind: p.kind },
    });
  });
  return router;
}
