// PostgreSQL pool. Errors on idle clients (server restart, network blip) are logged,
// never thrown, so a database outage makes the service unready rather than dead.
import pg from 'pg';
import type { Logger } from './logger.js';

export type Pool = pg.Pool;

export function createPool(databaseUrl: string, max: number, log: Logger, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    application_name: applicationName,
  });
  pool.on('error', (err) => log.warn({ err: { message: err.message } }, 'idle PostgreSQL client error'));
  return pool;
}
