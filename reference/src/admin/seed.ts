// Initial data of a new deployment: one organization and its first admin. Idempotent:
// re-running changes nothing that exists (an operator's password change is kept).
import { hash } from '@node-rs/argon2';
import type pg from 'pg';

/** The seed's documented default (CP-02 §4.1). Accepted only until the first login changes it. */
export const DEFAULT_ADMIN_PASSWORD = 'ChangeMe123!';

export interface SeedOptions {
  orgSlug: string;
  orgName: string;
  adminEmail: string;
  adminName: string;
  /** When absent the seed's default is used and the admin must change it at first login. */
  adminPassword?: string;
}

export interface SeedResult {
  organization: { id: string; slug: string; created: boolean };
  admin: { id: string; email: string; created: boolean; mustChangePassword: boolean };
}

export async function seed(pool: pg.Pool, opts: SeedOptions): Promise<SeedResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const org = await client.query<{ id: string; created: boolean }>(
      `INSERT INTO organizations (slug, name) VALUES ($1, $2)
       ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
       RETURNING id, (xmax = 0) AS created`,
      [opts.orgSlug, opts.orgName],
    );
    const orgRow = org.rows[0]!;
    const existing = await client.query<{ id: string; must_change_password: boolean }>(
      `SELECT id, must_change_password FROM users WHERE lower(email) = lower($1)`,
      [opts.adminEmail],
    );
    let admin: SeedResult['admin'];
    if (existing.rows[0]) {
      admin = {
        id: existing.rows[0].id,
        email: opts.adminEmail,
        created: false,
        mustChangePassword: existing.rows[0].must_change_password,
      };
    } else {
      const mustChange = opts.adminPassword === undefined;
      const passwordHash = await hash(opts.adminPassword ?? DEFAULT_ADMIN_PASSWORD);
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO users (email, name, password_hash, must_change_password) VALUES ($1, $2, $3, $4) RETURNING id`,
        [opts.adminEmail, opts.adminName, passwordHash, mustChange],
      );
      admin = {
        id: inserted.rows[0]!.id,
        email: opts.adminEmail,
        created: true,
        mustChangePassword: mustChange,
      };
    }
    await client.query(
      `INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'admin') ON CONFLICT DO NOTHING`,
      [orgRow.id, admin.id],
    );
    await client.query('COMMIT');
    return { organization: { id: orgRow.id, slug: opts.orgSlug, created: orgRow.created }, admin };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
