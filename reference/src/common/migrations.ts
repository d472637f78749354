// Forward-only, versioned SQL migrations run by node-pg-migrate. Files live in
// reference/migrations/ and are applied in name order; nothing here migrates down.
// The migration tool is loaded only by the command that migrates: services merely
// compare what is applied with what they ship (readiness), without loading it.
import { readdir } from 'node:fs/promises';
import type pg from 'pg';
import { MIGRATIONS_DIR } from './paths.js';

export const MIGRATIONS_TABLE = 'pgmigrations';

export async function migrationNames(dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = await readdir(dir);
  return files
    .filter((f) => /\.(sql|js)$/.test(f))
    .map((f) => f.replace(/\.(sql|js)$/, ''))
    .sort();
}

/** Apply every pending migration. Returns the names applied (empty when current). */
export async function migrateUp(
  databaseUrl: string,
  log: (msg: string) => void = () => {},
): Promise<string[]> {
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    checkOrder: true,
    singleTransaction: true,
    log,
  });
  return applied.map((m) => m.name);
}

/** Names of migrations present in the package but not applied to the database. */
export async function pendingMigrations(pool: pg.Pool | pg.Client): Promise<string[]> {
  const known = await migrationNames();
  const exists = await pool.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [MIGRATIONS_TABLE]);
  if (!exists.rows[0]?.t) return known;
  const rows = await pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const applied = new Set(rows.rows.map((r) => r.name));
  return known.filter((n) => !applied.has(n));
}
