// PostgreSQL pool. Errors on idle clients (server restart, network blip) are logged,
// never thrown, so a database outage makes the service unready rather than dead.
import pg from 'pg';
import type { Logger } from './logger.js';

export type Pool = pg.Pool;

export interface PoolSize {
  max: number;
  /** Connections kept open when idle (pg-pool does not open them by itself: see warmUp). */
  min: number;
}

export function createPool(
  databaseUrl: string,
  size: PoolSize,
  log: Logger,
  applicationName: string,
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: size.max,
    min: size.min,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    application_name: applicationName,
  });
  pool.on('error', (err) => log.warn({ err: { message: err.message } }, 'idle PostgreSQL client error'));
  return pool;
}

/**
 * Open the pool's minimum of connections now rather than on the first requests that need
 * them: setting one up (TCP, SCRAM authentication, a new server process) takes
 * milliseconds of CPU on both sides, which requests arriving in a burst would wait for.
 * A database that is down is not an error here (readiness reports it).
 */
export async function warmUp(pool: pg.Pool, log: Logger): Promise<void> {
  const clients = await Promise.allSettled(
    Array.from({ length: pool.options.min ?? 0 }, () => pool.connect()),
  );
  for (const c of clients) if (c.status === 'fulfilled') c.value.release();
  const failed = clients.find((c) => c.status === 'rejected');
  if (failed)
    log.debug({ err: { message: String(failed.reason) } }, 'could not open every pool connection at start');
}
