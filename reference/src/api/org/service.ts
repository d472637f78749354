// Organizations, members and API keys; shared by the API routes and the operator CLI.
// The identity directory (organizations, domains, users, memberships) has no row-level
// security, so every query here names the organization explicitly; API keys live in an
// RLS table and are written inside withOrg. Each change is appended to the audit trail
// of the organization it concerns.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { appendAudit } from '../../common/audit.js';
import { HttpError } from '../../common/errors.js';
import { UUID_RE, withOrg } from '../../common/tenancy.js';
import { generateApiKey } from '../auth/api-keys.js';
import { ALL_SCOPES, ROLES, SCOPES, type Role } from '../auth/principal.js';
import type { AuditContext } from '../policies/service.js';

export const PLANS = ['community', 'team', 'enterprise'] as const;
export const slugSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{1,62}$/,
    'must be 2-63 lowercase letters, digits or "-", starting with a letter or digit',
  );
export const domainSchema = z
  .string()
  .transform((d) => d.trim().toLowerCase())
  .pipe(
    z
      .string()
      .max(253)
      .regex(
        /^(?!-)[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.[a-z]{2,}$/,
        'must be a domain name such as example.com',
      ),
  );
export const roleSchema = z.enum(ROLES, { message: 'must be admin, editor or viewer' });
export const scopeSchema = z.union([z.enum(SCOPES), z.literal(ALL_SCOPES)], {
  message: `must be ${ALL_SCOPES} or one of ${SCOPES.join(', ')}`,
});
export const DEFAULT_ADMIN_PASSWORD = 'ChangeMe123!';
export const passwordSchema = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(256, 'must be at most 256 characters')
  .refine((p) => p !== DEFAULT_ADMIN_PASSWORD, 'must not be the documented default password');

export interface OrgRecord {
  id: string;
  slug: string;
  name: string;
  plan: string;
  createdAt: string;
  domains: { domain: string; verified: boolean }[];
}

export async function findOrg(db: pg.Pool | pg.PoolClient, slugOrId: string): Promise<OrgRecord | undefined> {
  const r = await db.query<{ id: string; slug: string; name: string; plan: string; created_at: Date }>(
    `SELECT id, slug, name, plan, created_at FROM organizations WHERE slug = $1 OR id = $2::uuid`,
    [slugOrId, UUID_RE.test(slugOrId) ? slugOrId : null],
  );
  const o = r.rows[0];
  if (!o) return undefined;
  const d = await db.query<{ domain: string; verified: boolean }>(
    `SELECT domain, verified FROM organization_domains WHERE organization_id = $1 ORDER BY domain`,
    [o.id],
  );
  return {
    id: o.id,
    slug: o.slug,
    name: o.name,
    plan: o.plan,
    createdAt: o.created_at.toISOString(),
    domains: d.rows,
  };
}

export async function orgOr404(db: pg.Pool | pg.PoolClient, slugOrId: string): Promise<OrgRecord> {
  const org = await findOrg(db, slugOrId);
  if (!org) throw new HttpError(404, 'NOT_FOUND', `no organization ${slugOrId}`);
  return org;
}

export async function createOrg(
  pool: pg.Pool,
  input: { name: string; slug: string; plan: string },
  ctx: AuditContext,
): Promise<OrgRecord> {
  const id = randomUUID();
  await withOrg(pool, id, async (c) => {
    try {
      await c.query(`INSERT INTO organizations (id, slug, name, plan) VALUES ($1, $2, $3, $4)`, [
        id,
        input.slug,
        input.name,
        input.plan,
      ]);
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new HttpError(409, 'CONFLICT', `an organization with slug ${input.slug} already exists`);
      throw err;
    }
    await appendAudit(c, {
      orgId: id,
      ...ctx,
      action: 'org.created',
      target: { type: 'organization', id },
      after: input,
    });
  });
  return (await findOrg(pool, id))!;
}

export async function updateOrg(
  pool: pg.Pool,
  orgId: string,
  patch: { name?: string; plan?: string },
  ctx: AuditContext,
): Promise<OrgRecord> {
  await withOrg(pool, orgId, async (c) => {
    const before = await orgOr404(c, orgId);
    await c.query(
      `UPDATE organizations SET name = coalesce($2, name), plan = coalesce($3, plan), updated_at = now() WHERE id = $1`,
      [orgId, patch.name ?? null, patch.plan ?? null],
    );
    await appendAudit(c, {
      orgId,
      ...ctx,
      action: 'org.updated',
      target: { type: 'organization', id: orgId },
      before: { name: before.name, plan: before.plan },
      after: patch,
    });
  });
  return orgOr404(pool, orgId);
}

/** Add a domain, or (operator) change its verified flag. */
export async function putDomain(
  pool: pg.Pool,
  orgId: string,
  domain: string,
  verified: boolean,
  ctx: AuditContext,
  opts: { allowExisting: boolean },
): Promise<{ domain: string; verified: boolean; created: boolean }> {
  return withOrg(pool, orgId, async (c) => {
    const existing = await c.query<{ verified: boolean }>(
      `SELECT verified FROM organization_domains WHERE organization_id = $1 AND domain = $2 FOR UPDATE`,
      [orgId, domain],
    );
    if (existing.rows[0] && !opts.allowExisting)
      throw new HttpError(409, 'CONFLICT', `domain ${domain} is already listed`);
    if (verified) {
      const elsewhere = await c.query(
        `SELECT 1 FROM organization_domains WHERE domain = $1 AND verified AND organization_id <> $2`,
        [domain, orgId],
      );
      if (elsewhere.rowCount)
        throw new HttpError(409, 'CONFLICT', `domain ${domain} is verified for another organization`);
    }
    await c.query(
      `INSERT INTO organization_domains (organization_id, domain, verified) VALUES ($1, $2, $3)
       ON CONFLICT (organization_id, domain) DO UPDATE SET verified = EXCLUDED.verified`,
      [orgId, domain, verified],
    );
    const created = !existing.rows[0];
    if (created || existing.rows[0]!.verified !== verified)
      await appendAudit(c, {
        orgId,
        ...ctx,
        action: created ? 'org.domain.added' : 'org.domain.updated',
        target: { type: 'domain', id: domain },
        before: existing.rows[0] ? { verified: existing.rows[0].verified } : undefined,
        after: { domain, verified },
      });
    return { domain, verified, created };
  });
}

export async function removeDomain(
  pool: pg.Pool,
  orgId: string,
  domain: string,
  ctx: AuditContext,
): Promise<void> {
  await withOrg(pool, orgId, async (c) => {
    const r = await c.query<{ verified: boolean }>(
      `DELETE FROM organization_domains WHERE organization_id = $1 AND domain = $2 RETURNING verified`,
      [orgId, domain],
    );
    if (!r.rows[0]) throw new HttpError(404, 'NOT_FOUND', `no domain ${domain}`);
    await appendAudit(c, {
      orgId,
      ...ctx,
      action: 'org.domain.removed',
      target: { type: 'domain', id: domain },
      before: { domain, verified: r.rows[0].verified },
    });
  });
}

// ---- members ----------------------------------------------------------------------------

export interface MemberRecord {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  memberSince: string;
}

interface MemberRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  must_change_password: boolean;
  created_at: Date;
}

const MEMBER_SELECT = `SELECT u.id, u.email, u.name, m.role, u.disabled, u.must_change_password, m.created_at
  FROM memberships m JOIN users u ON u.id = m.user_id`;

const toMember = (r: MemberRow): MemberRecord => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  disabled: r.disabled,
  mustChangePassword: r.must_change_password,
  memberSince: r.created_at.toISOString(),
});

export async function findMember(
  db: pg.Pool | pg.PoolClient,
  orgId: string,
  userIdOrEmail: string,
): Promise<MemberRecord | undefined> {
  const r = await db.query<MemberRow>(
    `${MEMBER_SELECT} WHERE m.organization_id = $1 AND (u.id = $2::uuid OR lower(u.email) = lower($3))`,
    [orgId, UUID_RE.test(userIdOrEmail) ? userIdOrEmail : null, userIdOrEmail],
  );
  return r.rows[0] ? toMember(r.rows[0]) : undefined;
}

export async function listMembers(
  db: pg.Pool | pg.PoolClient,
  orgId: string,
  limit: number,
  afterEmail?: string,
): Promise<MemberRecord[]> {
  const r = await db.query<MemberRow>(
    `${MEMBER_SELECT} WHERE m.organization_id = $1 AND ($2::text IS NULL OR lower(u.email) > lower($2))
      ORDER BY lower(u.email) LIMIT $3`,
    [orgId, afterEmail ?? null, limit],
  );
  return r.rows.map(toMember);
}

export interface CreateUserInput {
  orgId: string;
  email: string;
  name: string;
  role: Role;
  password?: string;
  mustChangePassword: boolean;
  /** Operator only: an existing user (another organization's) may be added as a member. */
  addExisting: boolean;
}

export async function createUser(
  pool: pg.Pool,
  input: CreateUserInput,
  ctx: AuditContext,
): Promise<{ user: MemberRecord; created: boolean }> {
  const passwordHash = input.password ? await (await import('@node-rs/argon2')).hash(input.password) : null;
  return withOrg(pool, input.orgId, async (c) => {
    const existing = await c.query<{ id: string }>(
      `SELECT id FROM users WHERE lower(email) = lower($1) FOR UPDATE`,
      [input.email],
    );
    let userId = existing.rows[0]?.id;
    const created = !userId;
    if (userId) {
      const member = await c.query(`SELECT 1 FROM memberships WHERE organization_id = $1 AND user_id = $2`, [
        input.orgId,
        userId,
      ]);
      if (member.rowCount || !input.addExisting)
        throw new HttpError(409, 'USER_EXISTS', `a user with e-mail ${input.email} already exists`);
    } else {
      const inserted = await c.query<{ id: string }>(
        `INSERT INTO users (email, name, password_hash, must_change_password) VALUES ($1, $2, $3, $4) RETURNING id`,
        [input.email, input.name, passwordHash, input.mustChangePassword && passwordHash !== null],
      );
      userId = inserted.rows[0]!.id;
    }
    await c.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)`, [
      input.orgId,
      userId,
      input.role,
    ]);
    await appendAudit(c, {
      orgId: input.orgId,
      ...ctx,
      action: created ? 'user.created' : 'user.membership.added',
      target: { type: 'user', id: userId },
      after: {
        email: input.email,
        name: input.name,
        role: input.role,
        password: passwordHash ? 'set' : 'none',
      },
    });
    return { user: (await findMember(c, input.orgId, userId))!, created };
  });
}

async function assertNotLastAdmin(c: pg.PoolClient, orgId: string, userId: string): Promise<void> {
  const admins = await c.query<{ user_id: string }>(
    `SELECT user_id FROM memberships WHERE organization_id = $1 AND role = 'admin' FOR UPDATE`,
    [orgId],
  );
  if (admins.rows.length === 1 && admins.rows[0]!.user_id === userId)
    throw new HttpError(
      409,
      'LAST_ADMIN',
      'this is the last admin of the organization; make someone else admin first',
    );
}

export async function setMemberRole(
  pool: pg.Pool,
  orgId: string,
  userId: string,
  role: Role,
  ctx: AuditContext,
): Promise<MemberRecord> {
  return withOrg(pool, orgId, async (c) => {
    const member = await findMember(c, orgId, userId);
    if (!member) throw new HttpError(404, 'NOT_FOUND', `no member ${userId}`);
    if (member.role === role) return member;
    if (member.role === 'admin') await assertNotLastAdmin(c, orgId, member.id);
    await c.query(`UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2`, [
      orgId,
      member.id,
      role,
    ]);
    await appendAudit(c, {
      orgId,
      ...ctx,
      action: 'user.role.changed',
      target: { type: 'user', id: member.id },
      before: { role: member.role },
      after: { role },
    });
    return { ...member, role };
  });
}

export async function removeMember(
  pool: pg.Pool,
  orgId: string,
  userId: string,
  ctx: AuditContext,
): Promise<void> {
  await withOrg(pool, orgId, async (c) => {
    const member = await findMember(c, orgId, userId);
    if (!member) throw new HttpError(404, 'NOT_FOUND', `no member ${userId}`);
    if (member.role === 'admin') await assertNotLastAdmin(c, orgId, member.id);
    await c.query(`DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2`, [orgId, member.id]);
    await appendAudit(c, {
      orgId,
      ...ctx,
      action: 'user.membership.removed',
      target: { type: 'user', id: member.id },
      before: { email: member.email, role: member.role },
    });
  });
}

// ---- API keys ---------------------------------------------------------------------------

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  /** How the key starts, for recognising it: aigos_<prefix>_... */
  hint: string;
  role: Role;
  scopes: string[];
  userId: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdBy: string | null;
  createdAt: string;
}

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  scopes: string[];
  user_id: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_by: string | null;
  created_at: Date;
}

const KEY_COLUMNS = `id, name, prefix, role, scopes, user_id, expires_at, revoked_at, last_used_at, created_by, created_at`;
const toKey = (k: KeyRow): ApiKeyRecord => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  hint: `aigos_${k.prefix}_…`,
  role: k.role,
  scopes: k.scopes,
  userId: k.user_id,
  expiresAt: k.expires_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  createdBy: k.created_by,
  createdAt: k.created_at.toISOString(),
});

export interface CreateKeyInput {
  orgId: string;
  name: string;
  role: Role;
  scopes: string[];
  userId?: string;
  expiresAt?: Date;
}

/** Create a key; the secret is returned here once and never stored. */
export async function createApiKey(
  pool: pg.Pool,
  input: CreateKeyInput,
  ctx: AuditContext,
): Promise<{ key: string; record: ApiKeyRecord }> {
  const material = generateApiKey();
  const scopes = [...new Set(input.scopes)].sort();
  return withOrg(pool, input.orgId, async (c) => {
    if (input.userId) {
      const member = await findMember(c, input.orgId, input.userId);
      if (!member) throw new HttpError(404, 'NOT_FOUND', `no member ${input.userId} in this organization`);
      if (ROLES.indexOf(input.role) > ROLES.indexOf(member.role))
        throw new HttpError(
          400,
          'VALIDATION_FAILED',
          `the key's role ${input.role} exceeds the user's role ${member.role}`,
          [{ path: 'role', code: 'too_big', message: `at most ${member.role}` }],
        );
    }
    const r = await c.query<KeyRow>(
      `INSERT INTO api_keys (organization_id, user_id, name, prefix, secret_hash, role, scopes, expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${KEY_COLUMNS}`,
      [
        input.orgId,
        input.userId ?? null,
        input.name,
        material.prefix,
        material.secretHash,
        input.role,
        scopes,
        input.expiresAt ?? null,
        ctx.actor.label ?? ctx.actor.type,
      ],
    );
    const record = toKey(r.rows[0]!);
    await appendAudit(c, {
      orgId: input.orgId,
      ...ctx,
      action: 'apikey.created',
      target: { type: 'api-key', id: record.id },
      after: {
        name: record.name,
        prefix: record.prefix,
        role: record.role,
        scopes: record.scopes,
        userId: record.userId,
        expiresAt: record.expiresAt,
      },
    });
    return { key: material.key, record };
  });
}

export async function listApiKeys(
  pool: pg.Pool,
  orgId: string,
  includeRevoked: boolean,
): Promise<ApiKeyRecord[]> {
  return withOrg(pool, orgId, async (c) => {
    const r = await c.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE organization_id = $1 AND ($2::boolean OR revoked_at IS NULL)
        ORDER BY created_at DESC, id DESC LIMIT 1000`,
      [orgId, includeRevoked],
    );
    return r.rows.map(toKey);
  });
}

/** Revoke by id or prefix (idempotent: revoking a revoked key changes nothing). */
export async function revokeApiKey(
  pool: pg.Pool,
  orgId: string,
  idOrPrefix: string,
  ctx: AuditContext,
): Promise<ApiKeyRecord> {
  return withOrg(pool, orgId, async (c) => {
    const r = await c.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE organization_id = $1 AND (id = $2::uuid OR prefix = $3) FOR UPDATE`,
      [
        orgId,
        UUID_RE.test(idOrPrefix) ? idOrPrefix : null,
        idOrPrefix.replace(/^aigos_/, '').replace(/_.*$/, ''),
      ],
    );
    const key = r.rows[0];
    if (!key) throw new HttpError(404, 'NOT_FOUND', `no API key ${idOrPrefix}`);
    if (key.revoked_at) return toKey(key);
    const u = await c.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = now() WHERE organization_id = $1 AND id = $2 RETURNING ${KEY_COLUMNS}`,
      [orgId, key.id],
    );
    await appendAudit(c, {
      orgId,
      ...ctx,
      action: 'apikey.revoked',
      target: { type: 'api-key', id: key.id },
      before: { revokedAt: null },
      after: { revokedAt: u.rows[0]!.revoked_at },
    });
    return toKey(u.rows[0]!);
  });
}
