// Identity-directory reads and writes of the login flows (users, memberships,
// user_identities: tables without row-level security, always queried by user or e-mail).
import type pg from 'pg';
import { ROLES, type Role } from './principal.js';

export interface LoginUser {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  must_change_password: boolean;
  disabled: boolean;
}

export async function findUserByEmail(pool: pg.Pool, email: string): Promise<LoginUser | undefined> {
  const r = await pool.query<LoginUser>(
    `SELECT id, email, name, password_hash, must_change_password, disabled FROM users WHERE lower(email) = lower($1)`,
    [email.trim()],
  );
  return r.rows[0];
}

export async function findUserById(pool: pg.Pool, id: string): Promise<LoginUser | undefined> {
  const r = await pool.query<LoginUser>(
    `SELECT id, email, name, password_hash, must_change_password, disabled FROM users WHERE id = $1`,
    [id],
  );
  return r.rows[0];
}

export interface Membership {
  orgId: string;
  orgSlug: string;
  orgName: string;
  role: Role;
}

/** A user's organizations, oldest membership first. */
export async function membershipsOf(pool: pg.Pool, userId: string): Promise<Membership[]> {
  const r = await pool.query<{ id: string; slug: string; name: string; role: Role }>(
    `SELECT o.id, o.slug, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id
      WHERE m.user_id = $1 ORDER BY m.created_at, o.slug`,
    [userId],
  );
  return r.rows.map((x) => ({ orgId: x.id, orgSlug: x.slug, orgName: x.name, role: x.role }));
}

export interface MemberState {
  email: string;
  name: string;
  disabled: boolean;
  mustChangePassword: boolean;
  role: Role | null;
  orgSlug: string | null;
  orgName: string | null;
}

/** What a session or token needs on every request: is the user still allowed, with which role. */
export async function memberState(
  pool: pg.Pool,
  userId: string,
  orgId: string,
): Promise<MemberState | undefined> {
  const r = await pool.query<{
    email: string;
    name: string;
    disabled: boolean;
    must_change_password: boolean;
    role: Role | null;
    slug: string | null;
    org_name: string | null;
  }>(
    `SELECT u.email, u.name, u.disabled, u.must_change_password, m.role, o.slug, o.name AS org_name
       FROM users u
       LEFT JOIN memberships m ON m.user_id = u.id AND m.organization_id = $2
       LEFT JOIN organizations o ON o.id = m.organization_id
      WHERE u.id = $1`,
    [userId, orgId],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    email: row.email,
    name: row.name,
    disabled: row.disabled,
    mustChangePassword: row.must_change_password,
    role: row.role && (ROLES as readonly string[]).includes(row.role) ? row.role : null,
    orgSlug: row.slug,
    orgName: row.org_name,
  };
}

export async function setPasswordHash(
  db: pg.Pool | pg.PoolClient,
  userId: string,
  passwordHash: string,
  opts: { clearMustChange: boolean },
): Promise<void> {
  await db.query(
    `UPDATE users SET password_hash = $2, updated_at = now(), password_changed_at = now(),
            must_change_password = CASE WHEN $3 THEN false ELSE must_change_password END
      WHERE id = $1`,
    [userId, passwordHash, opts.clearMustChange],
  );
}

/** Replace the hash with a stronger one without touching the change date (login rehash). */
export async function upgradePasswordHash(
  pool: pg.Pool,
  userId: string,
  oldHash: string,
  newHash: string,
): Promise<void> {
  await pool.query(`UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [
    userId,
    oldHash,
    newHash,
  ]);
}
