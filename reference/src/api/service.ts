// API server (:3002): business logic. Public: only the health routes (including the
// events API's GET /v1/health, contracts.md §3). Everything else under /api/v1 (and the
// upstream clients' /v1 base path) needs an authenticated principal.
import type { RequestHandler } from 'express';
import { required } from '../common/config.js';
import type { ServiceDefinition } from '../common/service.js';
import { apiKeyResolver, authenticate } from './auth/middleware.js';
import { mountAuth } from './auth/mount.js';
import { assetsRouter } from './assets/routes.js';
import { auditRouter } from './audit/routes.js';
import { complianceRouter } from './compliance/routes.js';
import { mountEvents } from './events/mount.js';
import { evidenceRouter } from './evidence/routes.js';
import { corsPolicy } from './http/cors.js';
import { pgErrorHandler } from './http/errors.js';
import { provideApiDeps, type ApiDeps } from './http/context.js';
import { meRouter } from './me/routes.js';
import { registerBusinessGauges } from './metrics.js';
import { apiKeysRouter } from './org/api-key-routes.js';
import { orgRouter } from './org/routes.js';
import { policiesRouter } from './policies/routes.js';
import { reportsRouter } from './reports/routes.js';

export const api: ServiceDefinition = {
  name: 'api',
  port: (config) => required(config, 'API_PORT'),
  dependencies: ['postgres', 'redis', 'storage'],
  async mount(app, ctx) {
    const version = required(ctx.config, 'AIGOS_VERSION');
    const health: RequestHandler = (_req, res) => {
      res.json({ status: ctx.isShuttingDown() ? 'shutting-down' : 'ok', service: 'api', version });
    };
    app.get(['/api/v1/health', '/v1/health'], health);
    // browsers on the allowed origins (preflights answered before authentication)
    app.use(['/api/v1', '/v1', '/graphql', '/auth'], corsPolicy(ctx.config));

    const deps: ApiDeps = {
      pool: ctx.pool!,
      storage: ctx.storage!,
      log: ctx.log,
      evidenceMaxBytes: required(ctx.config, 'EVIDENCE_MAX_BYTES'),
      publicUrl: ctx.config.API_URL ?? required(ctx.config, 'PUBLIC_URL'),
      redis: ctx.redis,
    };
    registerBusinessGauges(ctx.metrics, deps.pool);
    provideApiDeps(app, deps);

    // /auth/* (login flows, SSO, tokens) and the principal resolvers: session cookie,
    // access token (JWT), then API key — shared by REST, GraphQL and the WebSocket
    const auth = await mountAuth(app, ctx);
    const resolvers = [...auth.resolvers, apiKeyResolver(deps.pool, ctx.log)];
    app.use(['/api/v1', '/v1'], authenticate(resolvers));
    for (const router of [
      meRouter(deps),
      orgRouter(deps),
      apiKeysRouter(deps),
      assetsRouter(deps),
      evidenceRouter(deps),
      policiesRouter(deps),
      complianceRouter(deps),
      reportsRouter(deps),
      auditRouter(deps),
      auth.apiRouter,
    ])
      app.use('/api/v1', router);
    // governance events (/v1 and /api/v1), GraphQL and the WebSocket
    mountEvents(app, ctx, resolvers);
    // every route of the api (REST, events, /auth): input PostgreSQL refuses is a 400
    app.use(pgErrorHandler);
  },
};
