// The shared runtime of the four services: configuration, logging, request ids,
// metrics, health, the error envelope, dependencies and graceful shutdown. A service
// only declares its port, the dependencies it needs and its own routes.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Express } from 'express';
import { type Config, ConfigError, type ServiceName, loadConfig, required } from './config.js';
import type { Pool } from './db.js';
import { errorHandler, notFound } from './errors.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { createAppServer } from './http-server.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics, metricsHandler, metricsMiddleware } from './metrics.js';
import { pendingMigrations } from './migrations.js';
import type { Redis } from './redis.js';
import { requestContext } from './request-context.js';
import type { Storage } from './storage.js';

export type Dependency = 'postgres' | 'redis' | 'storage';

export interface ServiceContext {
  config: Config;
  log: Logger;
  metrics: Metrics;
  pool?: Pool;
  redis?: Redis;
  storage?: Storage;
  /** Extra readiness checks a service adds (e.g. its static bundle). */
  readiness: Record<string, ReadinessCheck>;
  isShuttingDown: () => boolean;
  /** WebSocket upgrades; a service that accepts none leaves this unset (upgrades are refused). */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface ServiceDefinition {
  name: ServiceName;
  port: (config: Config) => number;
  dependencies: readonly Dependency[];
  /** Add the service's own routes. Runs after health/metrics, before the 404 handler. */
  mount: (app: Express, ctx: ServiceContext) => void | Promise<void>;
}

export interface RunningService {
  app: Express;
  server: Server;
  ctx: ServiceContext;
  port: number;
  /** Stop accepting, drain in-flight requests, close pools. */
  shutdown: (reason: string) => Promise<void>;
}

export type Dependencies = Pick<ServiceContext, 'pool' | 'redis' | 'storage'>;

/**
 * Open the clients a service (or an operator command) needs; nothing connects eagerly
 * but Redis. Client libraries are loaded only when needed (the web server loads none).
 */
export async function openDependencies(
  dependencies: readonly Dependency[],
  config: Config,
  log: Logger,
  applicationName: string,
): Promise<Dependencies> {
  const deps: Dependencies = {};
  if (dependencies.includes('postgres')) {
    const { createPool } = await import('./db.js');
    deps.pool = createPool(
      required(config, 'DATABASE_URL'),
      { max: required(config, 'DB_POOL_MAX'), min: required(config, 'DB_POOL_MIN') },
      log,
      applicationName,
    );
  }
  if (dependencies.includes('redis'))
    deps.redis = (await import('./redis.js')).createRedis(required(config, 'REDIS_URL'), log);
  if (dependencies.includes('storage')) {
    const { createStorage } = await import('./storage.js');
    deps.storage = createStorage(
      required(config, 'S3_ENDPOINT'),
      required(config, 'S3_ACCESS_KEY'),
      required(config, 'S3_SECRET_KEY'),
      required(config, 'S3_BUCKET'),
      required(config, 'S3_REGION'),
    );
  }
  return deps;
}

/** Readiness of each opened dependency; migrations count as a dependency of PostgreSQL users. */
export function dependencyChecks(deps: Dependencies, config: Config): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = {};
  const { pool, redis, storage } = deps;
  if (pool) {
    checks.postgres = async () => {
      await pool.query('SELECT 1');
    };
    checks.migrations = async () => {
      const pending = await pendingMigrations(pool);
      if (pending.length > 0) {
        throw new Error(
          `${pending.length} pending (${pending.slice(0, 3).join(', ')}); run aigos-admin db:migrate`,
        );
      }
    };
  }
  if (redis) {
    checks.redis = async () => {
      if (redis.status !== 'ready') throw new Error(`not connected (client ${redis.status})`);
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error(`unexpected PING answer ${pong}`);
    };
  }
  if (storage) {
    checks.storage = async () =>
      (await import('./storage.js')).ensureBucket(storage, required(config, 'S3_REGION'));
  }
  return checks;
}

export async function closeDependencies(deps: Dependencies): Promise<void> {
  await Promise.allSettled([deps.pool?.end(), deps.redis?.quit()]);
  deps.redis?.disconnect();
}

export async function startService(
  def: ServiceDefinition,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const config = loadConfig(def.name, env);
  const log = createLogger(def.name, required(config, 'LOG_LEVEL'));
  const version = required(config, 'AIGOS_VERSION');
  const deps = await openDependencies(def.dependencies, config, log, `aigos-${def.name}`);
  const pool = deps.pool;
  // checked-out connections: the seed's aigos_db_connections_active
  const metrics = createMetrics(def.name, version, pool ? () => pool.totalCount - pool.idleCount : undefined);
  let shuttingDown = false;
  const ctx: ServiceContext = {
    config,
    log,
    metrics,
    ...deps,
    readiness: {},
    isShuttingDown: () => shuttingDown,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext(log));
  app.use(metricsMiddleware(metrics, def.name));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(
    healthRouter({
      service: def.name,
      version,
      checks: () => ({ ...dependencyChecks(ctx, config), ...ctx.readiness }),
      isShuttingDown: () => shuttingDown,
    }),
  );
  app.get('/metrics', metricsHandler(metrics));
  await def.mount(app, ctx);
  app.use(notFound);
  app.use(errorHandler);

  const port = def.port(config);
  const host = required(config, 'BIND_HOST');
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createAppServer(app).listen(port, host);
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new ConfigError(`${def.name.toUpperCase()}_PORT`, `port ${port} on ${host} is already in use`),
        );
      } else reject(err);
    });
  });
  server.keepAliveTimeout = 65_000; // longer than common proxy idle timeouts
  server.on('upgrade', (req, socket, head) => {
    if (ctx.onUpgrade && !shuttingDown) ctx.onUpgrade(req, socket, head);
    else socket.destroy();
  });
  const actualPort = (server.address() as { port: number }).port;
  log.info({ port: actualPort, host, version }, `${def.name} listening`);
  if (pool) void (await import('./db.js')).warmUp(pool, log);

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      log.info({ reason }, 'shutting down: draining in-flight requests');
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // idle keep-alive sockets would hold close() open; active ones finish their request first
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const force = setTimeout(
        () => {
          log.warn('drain timeout reached; closing remaining connections');
          server.closeAllConnections();
        },
        required(config, 'SHUTDOWN_TIMEOUT_MS'),
      );
      server.closeIdleConnections();
      await drained;
      clearInterval(sweep);
      clearTimeout(force);
      await closeDependencies(ctx);
      log.info('shutdown complete');
    })();
    return closing;
  };

  return { app, server, ctx, port: actualPort, shutdown };
}
