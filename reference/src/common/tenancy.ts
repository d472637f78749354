// Tenancy: every organization-scoped query runs inside withOrg, which opens a
// transaction and sets app.org_id for it (SET LOCAL semantics). The row-level security
// policies of the organization-scoped tables (migration 1764720100000_api_core) compare
// each row's organization_id with that setting, and they are FORCED, so they bind the
// application role even though it owns the tables: a query that forgets its
// `WHERE organization_id = ...` still sees only the current organization's rows.
//
// The identity directory (organizations, organization_domains, users, memberships) has
// no RLS: login, SSO domain routing and the operator commands that create organizations
// and users must read it before an organization is chosen. Code reading it always names
// the organization or the user explicitly.
import type pg from 'pg';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Run fn in a transaction bound to one organization. Commits when fn resolves, rolls
 * back when it throws (and rethrows). The client must not escape fn.
 *
 * `readOnly`: the transaction is READ ONLY and its COMMIT is sent without waiting for
 * the answer (the client's queue keeps it ahead of the next user's BEGIN), which saves
 * a round trip on every read.
 */
export async function withOrg<T>(
  pool: pg.Pool,
  orgId: string,
  fn: (client: pg.PoolClient) => Promise<T>,
  opts: { readOnly?: boolean } = {},
): Promise<T> {
  // the id is interpolated below (one round trip for BEGIN + set_config): only a
  // strictly validated UUID, which cannot carry SQL, is accepted
  if (!UUID_RE.test(orgId))
    throw new Error(`withOrg: organization id must be a UUID (got ${JSON.stringify(orgId)})`);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(
      `BEGIN${opts.readOnly ? ' READ ONLY' : ''}; SELECT set_config('app.org_id', '${orgId.toLowerCase()}', true)`,
    );
    const result = await fn(client);
    if (opts.readOnly) {
      client.query('COMMIT').catch(() => undefined); // a broken connection is dropped by the pool
    } else {
      await client.query('COMMIT');
    }
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr; // the connection is unusable: destroy it rather than pool it
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The organization the client's current transaction is bound to, if any. */
export async function currentOrg(client: Queryable): Promise<string | undefined> {
  const r = await client.query<{ org: string | null }>(`SELECT aigos_current_org()::text AS org`);
  return r.rows[0]?.org ?? undefined;
}
