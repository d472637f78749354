// Wiring of the governance events API, its rate limits, the integrity checkpoints,
// GraphQL (/graphql) and the real-time WebSocket (/ws) into the api service (called
// from api/service.ts).
import type { Express } from 'express';
import { required } from '../../common/config.js';
import type { ServiceContext } from '../../common/service.js';
import { apiKeyResolver, authenticate, type PrincipalResolver } from '../auth/middleware.js';
import { SlidingWindowLimiter } from '../ratelimit/sliding-window.js';
import { mountGraphql } from '../graphql/server.js';
import { RealtimeServer } from '../realtime/ws-server.js';
import { Checkpoints } from './checkpoints.js';
import { eventsRouter } from './routes.js';
import { EventStore } from './store.js';
import { allowedOrigins } from '../http/cors.js';

export interface EventsModule {
  store: EventStore;
  checkpoints: Checkpoints;
  realtime: RealtimeServer;
  resolvers: PrincipalResolver[];
}

export function mountEvents(
  app: Express,
  ctx: ServiceContext,
  resolvers?: PrincipalResolver[],
): EventsModule {
  const { config, log } = ctx;
  const pool = ctx.pool!;
  const redis = ctx.redis!;
  const creds = resolvers ?? [apiKeyResolver(pool, log)];
  const store = new EventStore(pool, {
    version: required(config, 'AIGOS_VERSION'),
    publicUrl: config.API_URL ?? required(config, 'PUBLIC_URL'),
  });
  const checkpoints = new Checkpoints(pool, log);
  checkpoints.start(required(config, 'INTEGRITY_CHECKPOINT_INTERVAL_MS'));

  const limiter = new SlidingWindowLimiter(redis);
  const limits = {
    windowMs: required(config, 'RATE_LIMIT_WINDOW_MS'),
    push: required(config, 'RATE_LIMIT_EVENTS_PUSH'),
    batch: required(config, 'RATE_LIMIT_EVENTS_BATCH'),
    read: required(config, 'RATE_LIMIT_EVENTS_READ'),
  };
  const authenticateRequest = authenticate(creds);
  const options = {
    store,
    checkpoints,
    authenticate: authenticateRequest,
    limiter,
    limits,
    redis,
    log,
  };
  // /api/v1/assets is the asset-card registry; the events' asset list is /v1/assets
  app.use('/v1', eventsRouter({ ...options, assetList: true }));
  app.use('/api/v1', eventsRouter({ ...options, assetList: false }));

  // GraphQL: the dashboard's views and the same actions as REST
  mountGraphql(app, {
    pool,
    store,
    checkpoints,
    limiter,
    limits,
    redis,
    log,
    authenticate: authenticateRequest,
    production: config.NODE_ENV === 'production',
    maxDepth: required(config, 'GRAPHQL_MAX_DEPTH'),
    maxCost: required(config, 'GRAPHQL_MAX_COST'),
  });

  const realtime = new RealtimeServer({
    redisUrl: required(config, 'REDIS_URL'),
    resolvers: creds,
    heartbeatMs: required(config, 'WS_HEARTBEAT_MS'),
    maxBufferedBytes: required(config, 'WS_MAX_BUFFERED_BYTES'),
    allowedOrigins: allowedOrigins(config),
    log,
    registry: ctx.metrics.registry,
    isShuttingDown: ctx.isShuttingDown,
  });
  const previous = ctx.onUpgrade;
  ctx.onUpgrade = (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/ws' || path.startsWith('/ws/')) realtime.handleUpgrade(req, socket, head);
    else if (previous) previous(req, socket, head);
    else socket.destroy();
  };
  return { store, checkpoints, realtime, resolvers: creds };
}
