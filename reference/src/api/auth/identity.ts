// What OIDC and SAML share once the identity provider has vouched for a user: the
// organization (the one that verified the e-mail's domain), the role (roleMapping over
// the groups, else `default`), just-in-time creation of the user and membership, the link
// (issuer, subject) -> user, and the refusal of anything that does not fit.
import type pg from 'pg';
import { appendAudit } from '../../common/audit.js';
import { withOrg } from '../../common/tenancy.js';
import { ROLES, roleAtLeast, type Role } from './principal.js';

export interface ExternalIdentity {
  protocol: 'oidc' | 'saml';
  /** the configured provider name */
  provider: string;
  /** OIDC issuer or SAML IdP entity id */
  issuer: string;
  subject: string;
  email: string;
  name: string;
  /** undefined: the provider said nothing usable about groups (no claim, overage) */
  groups?: string[];
}

export interface RoleMapping {
  default: Role;
  groups: Record<string, Role>;
}

/** A sign-in the control plane refuses; shown on the refusal page and logged. */
export class SsoRefusal extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    readonly detail?: string,
    readonly status = 403,
  ) {
    super(reason);
    this.name = 'SsoRefusal';
  }
}

/** DNs compare case-insensitively and without spaces after separators; other names exactly. */
function normalizeGroup(g: string): string {
  return g.includes('=')
    ? g
        .toLowerCase()
        .replace(/\s*([,=+])\s*/g, '$1')
        .trim()
    : g;
}

/** The highest role any of the groups maps to; `default` when none does. */
export function mapRole(
  groups: readonly string[] | undefined,
  mapping: RoleMapping,
): { role: Role; matched: string[] } {
  const table = new Map(Object.entries(mapping.groups).map(([g, r]) => [normalizeGroup(g), r]));
  let role: Role | undefined;
  const matched: string[] = [];
  for (const g of groups ?? []) {
    const r = table.get(normalizeGroup(g));
    if (!r) continue;
    matched.push(g);
    if (!role || roleAtLeast(r, role)) role = r;
  }
  return { role: role ?? mapping.default, matched };
}

const EMAIL_RE = /^[^\s@]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;

export interface ProvisionResult {
  userId: string;
  orgId: string;
  orgSlug: string;
  email: string;
  created: boolean;
  previousRole?: Role;
}

export async function provisionUser(
  pool: pg.Pool,
  ident: ExternalIdentity,
  role: Role,
  ctx: { sourceAddress?: string; requestId?: string },
): Promise<ProvisionResult> {
  const email = ident.email.trim();
  const m = EMAIL_RE.exec(email);
  if (!m)
    throw new SsoRefusal(
      'EMAIL_INVALID',
      `the identity provider sent no usable e-mail address (${JSON.stringify(email).slice(0, 80)})`,
    );
  const domain = m[1]!.toLowerCase();
  const orgRow = await pool.query<{ id: string; slug: string }>(
    `SELECT o.id, o.slug FROM organization_domains d JOIN organizations o ON o.id = d.organization_id
      WHERE d.domain = $1 AND d.verified`,
    [domain],
  );
  const org = orgRow.rows[0];
  if (!org)
    throw new SsoRefusal(
      'DOMAIN_NOT_VERIFIED',
      `No organization on this control plane has verified the domain ${domain}.`,
      'An administrator adds and verifies the domain of your e-mail address before you can sign in with single sign-on.',
    );
  const actor = { type: 'system' as const, label: `sso:${ident.provider}` };
  return withOrg(pool, org.id, async (c) => {
    let userId: string | undefined;
    const linked = await c.query<{ user_id: string }>(
      `SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2`,
      [ident.issuer, ident.subject],
    );
    userId = linked.rows[0]?.user_id;
    if (!userId) {
      const byEmail = await c.query<{ id: string }>(
        `SELECT id FROM users WHERE lower(email) = lower($1) FOR UPDATE`,
        [email],
      );
      userId = byEmail.rows[0]?.id;
    }
    let created = false;
    if (!userId) {
      const ins = await c.query<{ id: string }>(
        `INSERT INTO users (email, name) VALUES ($1, $2) ON CONFLICT ((lower(email))) DO NOTHING RETURNING id`,
        [email, ident.name.slice(0, 200)],
      );
      userId =
        ins.rows[0]?.id ??
        (await c.query<{ id: string }>(`SELECT id FROM users WHERE lower(email) = lower($1)`, [email]))
          .rows[0]!.id;
      created = !!ins.rows[0];
    }
    const user = await c.query<{ disabled: boolean; name: string }>(
      `SELECT disabled, name FROM users WHERE id = $1`,
      [userId],
    );
    if (user.rows[0]?.disabled)
      throw new SsoRefusal('ACCOUNT_DISABLED', 'This account is disabled on the control plane.');
    if (!user.rows[0]?.name && ident.name)
      await c.query(`UPDATE users SET name = $2 WHERE id = $1`, [userId, ident.name.slice(0, 200)]);

    const member = await c.query<{ role: Role }>(
      `SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2 FOR UPDATE`,
      [org.id, userId],
    );
    const previousRole = member.rows[0]?.role;
    if (!previousRole) {
      await c.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)`, [
        org.id,
        userId,
        role,
      ]);
      await appendAudit(c, {
        orgId: org.id,
        actor,
        action: created ? 'user.created' : 'user.membership.added',
        target: { type: 'user', id: userId },
        sourceAddress: ctx.sourceAddress,
        requestId: ctx.requestId,
        after: { email, role, via: `${ident.protocol}:${ident.provider}`, justInTime: true },
      });
    } else if (previousRole !== role && (ROLES as readonly string[]).includes(role)) {
      // the identity provider's groups decide the role of its users at every sign-in
      await c.query(`UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2`, [
        org.id,
        userId,
        role,
      ]);
      await appendAudit(c, {
        orgId: org.id,
        actor,
        action: 'user.role.changed',
        target: { type: 'user', id: userId },
        sourceAddress: ctx.sourceAddress,
        requestId: ctx.requestId,
        before: { role: previousRole },
        after: { role, via: `${ident.protocol}:${ident.provider}` },
      });
    }
    await c.query(
      `INSERT INTO user_identities (issuer, subject, user_id, organization_id, provider, protocol, email)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (issuer, subject) DO UPDATE SET last_login_at = now(), email = EXCLUDED.email, user_id = EXCLUDED.user_id,
         organization_id = EXCLUDED.organization_id, provider = EXCLUDED.provider`,
      [ident.issuer, ident.subject, userId, org.id, ident.provider, ident.protocol, email],
    );
    return { userId, orgId: org.id, orgSlug: org.slug, email, created, previousRole };
  });
}
