// The session and CSRF cookies. HttpOnly session cookie, SameSite=Lax, Path=/, Secure and
// `__Host-` prefixed when PUBLIC_URL is https (the prefix makes the browser refuse a
// cookie set without Secure, for a sub-domain, or for a narrower path).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse, serialize } from 'cookie';

export interface CookieNames {
  session: string;
  csrf: string;
  prelogin: string;
  /** binds an SSO sign-in in progress (OIDC state, SAML request) to this browser */
  sso: string;
}

export function cookieNames(secure: boolean): CookieNames {
  const p = secure ? '__Host-' : '';
  return {
    session: `${p}aigos_session`,
    csrf: `${p}aigos_csrf`,
    prelogin: `${p}aigos_prelogin`,
    sso: `${p}aigos_sso`,
  };
}

export function readCookies(req: IncomingMessage): Record<string, string | undefined> {
  const header = req.headers.cookie;
  if (!header) return {};
  try {
    return parse(header);
  } catch {
    return {};
  }
}

function append(res: ServerResponse, value: string): void {
  const prev = res.getHeader('Set-Cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  // one value per cookie name: a later write replaces an earlier one in the same response
  const name = value.slice(0, value.indexOf('='));
  res.setHeader('Set-Cookie', [...list.filter((c) => !c.startsWith(`${name}=`)), value]);
}

export interface CookieOptions {
  secure: boolean;
  /** seconds; omitted = browser-session cookie */
  maxAge?: number;
  httpOnly: boolean;
  /** default lax; none (with Secure) for cookies a cross-site POST must carry */
  sameSite?: 'lax' | 'none';
}

export function setCookie(res: ServerResponse, name: string, value: string, o: CookieOptions): void {
  append(
    res,
    serialize(name, value, {
      httpOnly: o.httpOnly,
      secure: o.secure,
      sameSite: o.sameSite ?? 'lax',
      path: '/',
      ...(o.maxAge !== undefined ? { maxAge: o.maxAge } : {}),
    }),
  );
}

export function clearCookie(res: ServerResponse, name: string, secure: boolean): void {
  append(res, serialize(name, '', { httpOnly: true, secure, sameSite: 'lax', path: '/', maxAge: 0 }));
}
