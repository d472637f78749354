// Redis client. Commands fail fast while disconnected (no offline queue) so readiness
// reports the outage within a second, and the client reconnects on its own when
// Redis returns; no service restart is needed.
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export type { Redis };

export function createRedis(url: string, log: Logger): Redis {
  let lastLogged = 0;
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    lazyConnect: false,
  });
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged > 10_000) {
      lastLogged = now;
      log.warn({ err: { message: err.message } }, 'Redis connection problem; retrying');
    }
  });
  return client;
}
