// Authentication middleware: turns the request's credentials into a Principal on
// req.principal, or answers 401 in the error envelope. Credentials are tried against a
// list of resolvers; each claims the credentials it understands: the API key resolver
// `aigos_...` bearer tokens, the JWT resolver bearer access tokens, the session resolver
// the session cookie (only when no Authorization header is sent; it also enforces CSRF on
// unsafe methods and the forced password change). Resolvers take a plain IncomingMessage,
// so the WebSocket upgrade uses the same list.
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type pg from 'pg';
import { HttpError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { withOrg } from '../../common/tenancy.js';
import { parseApiKey, secretMatches } from './api-keys.js';
import { ROLES, roleAtLeast, type ApiKeyPrincipal, type Principal, type Role } from './principal.js';

export interface Credentials {
  /** The bearer token (Authorization: Bearer ...) or X-API-Key header value. */
  bearer?: string;
}

/** Resolves credentials it recognises; returns undefined for ones it does not claim. */
export type PrincipalResolver = (
  req: IncomingMessage,
  credentials: Credentials,
) => Promise<Principal | undefined>;

function unauthenticated(message: string): HttpError {
  return new HttpError(401, 'UNAUTHENTICATED', message);
}

export function credentialsOf(req: IncomingMessage): Credentials {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthenticated('the Authorization header must be "Bearer <token>"');
    return { bearer: m[1] };
  }
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() ? { bearer: apiKey.trim() } : {};
}

/**
 * The principal of a raw request (REST, GraphQL, or a WebSocket upgrade), or undefined when
 * it carries no credentials any resolver claims. Throws HttpError 401/403 for credentials
 * that are present but refused (expired token, revoked key, missing CSRF token, pending
 * password change).
 */
export async function resolvePrincipal(
  resolvers: readonly PrincipalResolver[],
  req: IncomingMessage,
  credentials: Credentials = credentialsOf(req),
): Promise<Principal | undefined> {
  for (const resolve of resolvers) {
    const principal = await resolve(req, credentials);
    if (principal) return principal;
  }
  return undefined;
}

export function authenticate(resolvers: PrincipalResolver[]): RequestHandler {
  return async (req, res, next) => {
    const credentials = credentialsOf(req);
    const principal = await resolvePrincipal(resolvers, req, credentials);
    if (principal) {
      req.principal = principal;
      return next();
    }
    if (!credentials.bearer) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="aigos"');
      throw unauthenticated(
        'authentication required: send Authorization: Bearer <access token or API key>, or sign in at /auth/login',
      );
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="aigos", error="invalid_token"');
    throw unauthenticated('the bearer token is not a valid credential');
  };
}

interface KeyRow {
  id: string;
  organization_id: string;
  user_id: string | null;
  name: string;
  prefix: string;
  secret_hash: Buffer;
  role: Role;
  scopes: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  org_slug: string;
  user_disabled: boolean | null;
  member_role: Role | null;
}

/** last_used_at is written at most once per this interval per key (not on every request). */
const LAST_USED_RESOLUTION_MS = 60_000;

export function apiKeyResolver(pool: pg.Pool, log: Logger): PrincipalResolver {
  return async (_req, { bearer }) => {
    if (!bearer?.startsWith('aigos_')) return undefined;
    const parsed = parseApiKey(bearer);
    const invalid = () => {
      throw unauthenticated('invalid API key');
    };
    if (!parsed) return invalid();
    const r = await pool.query<KeyRow>(
      `SELECT id, organization_id, user_id, name, prefix, secret_hash, role, scopes, expires_at, revoked_at,
              last_used_at, org_slug, user_disabled, member_role
         FROM api_key_lookup($1)`,
      [parsed.prefix],
    );
    const key = r.rows[0];
    if (!key || !secretMatches(parsed.secret, key.secret_hash)) return invalid();
    if (key.revoked_at) throw unauthenticated('this API key has been revoked');
    if (key.expires_at && key.expires_at.getTime() <= Date.now())
      throw unauthenticated('this API key has expired');
    let role = key.role;
    if (key.user_id) {
      // a user's key never outlives the user's access, nor exceeds the user's role
      if (key.user_disabled || !key.member_role)
        throw unauthenticated('the user of this API key is disabled or no longer a member');
      if (!roleAtLeast(key.member_role, role)) role = key.member_role;
    }
    if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
      void withOrg(pool, key.organization_id, (c) =>
        c.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [key.id]),
      ).catch((err: Error) => log.warn({ err: { message: err.message } }, 'could not record API key use'));
    }
    const principal: ApiKeyPrincipal = {
      kind: 'api-key',
      orgId: key.organization_id,
      orgSlug: key.org_slug,
      userId: key.user_id ?? undefined,
      role: ROLES.includes(role) ? role : 'viewer',
      scopes: key.scopes,
      apiKeyId: key.id,
      keyPrefix: key.prefix,
      keyName: key.name,
    };
    return principal;
  };
}
