// The session-cookie and access-token (JWT) resolvers of the principal middleware. Both
// end in the same place: the user's current membership (role, disabled, forced password
// change) read from PostgreSQL on every request, so a role change, a removed membership or
// a disabled account takes effect at once, for cookies and tokens alike.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { HttpError } from '../../common/errors.js';
import { readCookies, setCookie } from './cookies.js';
import type { PrincipalResolver } from './middleware.js';
import { ALL_SCOPES, type UserPrincipal } from './principal.js';
import type { AuthRuntime } from './runtime.js';
import type { SessionData } from './sessions.js';
import { looksLikeJwt, TokenError } from './tokens.js';
import { memberState } from './users.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function tokensEqual(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length === 0) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The CSRF token a cookie-authenticated unsafe request carries: X-CSRF-Token header or _csrf form field. */
export function csrfTokenOf(req: IncomingMessage): unknown {
  const header = req.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  const body = (req as { body?: unknown }).body;
  return body && typeof body === 'object' ? (body as Record<string, unknown>)._csrf : undefined;
}

export function isUnsafe(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? 'GET').toUpperCase());
}

export const PASSWORD_CHANGE_REQUIRED = (): HttpError =>
  new HttpError(
    403,
    'PASSWORD_CHANGE_REQUIRED',
    'you must change your password first: POST /auth/change-password',
    [{ changePasswordUrl: '/auth/change-password' }],
  );

/** The user principal of a live session, or HttpError 401/403. */
export async function principalOfSession(
  rt: AuthRuntime,
  session: SessionData,
  handle: string,
  kind: 'session' | 'jwt',
  opts: { allowPasswordChange?: boolean } = {},
): Promise<UserPrincipal> {
  const m = await memberState(rt.pool, session.uid, session.org);
  if (!m || m.disabled || !m.role) {
    await rt.sessions.destroyWhere(session.uid, (s) => s.org === session.org).catch(() => 0);
    throw new HttpError(
      401,
      'UNAUTHENTICATED',
      'this account is disabled or no longer a member of the organization',
    );
  }
  if (m.mustChangePassword && !opts.allowPasswordChange) throw PASSWORD_CHANGE_REQUIRED();
  return {
    kind,
    userId: session.uid,
    orgId: session.org,
    orgSlug: m.orgSlug ?? undefined,
    role: m.role,
    scopes: [ALL_SCOPES],
    sessionId: handle,
    email: m.email,
    authMethod: session.method,
    provider: session.provider,
  };
}

/** The session cookie; only when the request sends no Authorization header. */
export function sessionResolver(rt: AuthRuntime): PrincipalResolver {
  return async (req, credentials) => {
    if (credentials.bearer) return undefined;
    const id = readCookies(req)[rt.cookies.session];
    if (!id) return undefined;
    const session = await rt.sessions.get(id, true);
    if (!session)
      throw new HttpError(
        401,
        'UNAUTHENTICATED',
        'your session has expired or was signed out; sign in again at /auth/login',
      );
    if (isUnsafe(req.method) && !tokensEqual(csrfTokenOf(req), session.csrf))
      throw new HttpError(
        403,
        'CSRF_TOKEN_INVALID',
        'a cookie-authenticated change needs the X-CSRF-Token header (the csrfToken of GET /auth/session)',
      );
    const principal = await principalOfSession(rt, session, rt.sessions.handleOf(id), 'session');
    // rolling: the browser's cookie lives as long as the server-side session (Express sets req.res)
    const res = (req as { res?: ServerResponse }).res;
    if (res && !res.headersSent) {
      const maxAge = Math.floor(rt.sessions.maxAgeMs / 1000);
      setCookie(res, rt.cookies.session, id, { secure: rt.secure, httpOnly: true, maxAge });
      setCookie(res, rt.cookies.csrf, session.csrf, { secure: rt.secure, httpOnly: false, maxAge });
    }
    return principal;
  };
}

/** Bearer access tokens (JWT) minted at POST /auth/token. */
export function jwtResolver(rt: AuthRuntime): PrincipalResolver {
  return async (_req, { bearer }) => {
    if (!bearer || !looksLikeJwt(bearer)) return undefined;
    let claims;
    try {
      claims = await rt.tokens.verify(bearer);
    } catch (err) {
      if (err instanceof TokenError) {
        rt.log.info({ reason: err.message }, 'access token refused');
        throw new HttpError(401, 'UNAUTHENTICATED', err.message);
      }
      throw err;
    }
    const session = await rt.sessions.getByHandle(claims.sid);
    if (!session || session.uid !== claims.sub || session.org !== claims.org)
      throw new HttpError(401, 'UNAUTHENTICATED', 'the session this access token was issued for has ended');
    return principalOfSession(rt, session, claims.sid, 'jwt');
  };
}
