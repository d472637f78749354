// Who is calling. Every authenticated request carries one Principal on `req.principal`,
// whatever proved it: today an API key; sessions, JWTs and SSO (the authentication
// issue) add their own `kind` to the union and a resolver to the middleware, and every
// route keeps using requireRole/requireScope unchanged.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../../common/errors.js';

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Scopes an API key may carry. A route needs its scope AND a minimum role; a key with
 * `*` holds every scope (its role still limits it). User principals (sessions) hold
 * every scope: their role alone decides.
 */
export const SCOPES = [
  'events:write',
  'events:read',
  'assets:read',
  'assets:write',
  'policies:read',
  'policies:write',
  'compliance:read',
  'compliance:write',
  'evidence:read',
  'evidence:write',
  'reports:read',
  'reports:write',
  'audit:read',
  'org:read',
  'org:admin',
  'certificates:read',
  'certificates:write',
  'agents:write',
] as const;
export type Scope = (typeof SCOPES)[number];
export const ALL_SCOPES = '*';

interface PrincipalBase {
  orgId: string;
  orgSlug?: string;
  /** The user acting, when known (API keys may belong to a user or to the organization). */
  userId?: string;
  role: Role;
  scopes: readonly string[];
}

export interface ApiKeyPrincipal extends PrincipalBase {
  kind: 'api-key';
  apiKeyId: string;
  keyPrefix: string;
  keyName: string;
}

/** A user signed in: a browser session (cookie) or a bearer access token (JWT) minted from one. */
export interface UserPrincipal extends PrincipalBase {
  kind: 'session' | 'jwt';
  userId: string;
  /** The session (a JWT carries its session's id; revoking the session ends the token too). */
  sessionId?: string;
  email?: string;
  /** How the session was established. */
  authMethod?: 'password' | 'oidc' | 'saml';
  /** The single sign-on provider's configured name, for oidc and saml. */
  provider?: string;
}

export type Principal = ApiKeyPrincipal | UserPrincipal;

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export function roleAtLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}

export function hasScope(p: Principal, scope: string): boolean {
  if (p.kind !== 'api-key') return true;
  return p.scopes.includes(ALL_SCOPES) || p.scopes.includes(scope);
}

/** The request's principal; 401 when the request is not authenticated. */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new HttpError(401, 'UNAUTHENTICATED', 'authentication required');
  return req.principal;
}

/**
 * The one authorization decision of REST, GraphQL and the WebSocket: throws 401 without a
 * principal, 403 when a scope is missing or the role is below `minRole`.
 */
export function authorize(
  p: Principal | undefined,
  need: { scopes?: readonly Scope[]; minRole?: Role },
): Principal {
  if (!p) throw new HttpError(401, 'UNAUTHENTICATED', 'authentication required');
  const missing = (need.scopes ?? []).filter((s) => !hasScope(p, s));
  if (missing.length)
    throw new HttpError(403, 'FORBIDDEN', `this action needs the scope ${missing.join(', ')}`, [
      { missingScopes: missing },
    ]);
  if (need.minRole && !roleAtLeast(p.role, need.minRole))
    throw new HttpError(403, 'FORBIDDEN', `this action needs the ${need.minRole} role; you are ${p.role}`);
  return p;
}

/** What a guard middleware demands; read by the route x role matrix test. */
export interface GuardInfo {
  minRole?: Role;
  scopes?: readonly Scope[];
}
export const GUARD = Symbol.for('aigos.authz.guard');
function tagged(handler: RequestHandler, info: GuardInfo): RequestHandler {
  return Object.assign(handler, { [GUARD]: info });
}
export function guardInfo(handler: unknown): GuardInfo | undefined {
  return (handler as { [GUARD]?: GuardInfo } | undefined)?.[GUARD];
}

/** Middleware: the caller's role must be at least `min`. */
export function requireRole(min: Role): RequestHandler {
  return tagged(
    (req: Request, _res: Response, next: NextFunction) => {
      authorize(req.principal, { minRole: min });
      next();
    },
    { minRole: min },
  );
}

/** Middleware: the caller must hold every named scope. */
export function requireScope(...scopes: Scope[]): RequestHandler {
  return tagged(
    (req: Request, _res: Response, next: NextFunction) => {
      authorize(req.principal, { scopes });
      next();
    },
    { scopes },
  );
}

/** Scope and role together, the usual guard of a route. */
export function allow(scope: Scope, minRole: Role = 'viewer'): RequestHandler[] {
  return [requireScope(scope), requireRole(minRole)];
}

/** How the principal appears in the audit trail. */
export function auditActor(p: Principal): { type: 'user' | 'api-key'; id: string; label: string } {
  if (p.kind === 'api-key')
    return { type: 'api-key', id: p.apiKeyId, label: `${p.keyName} (aigos_${p.keyPrefix})` };
  return { type: 'user', id: p.userId, label: p.email ?? p.userId };
}
