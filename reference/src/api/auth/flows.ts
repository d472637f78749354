// Pieces shared by the password, OIDC and SAML flows: starting a session (cookies,
// audit, log), finding the browser's current session, safe return paths, answering in
// HTML or JSON.
import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import { appendAudit } from '../../common/audit.js';
import { withOrg } from '../../common/tenancy.js';
import { clearCookie, readCookies, setCookie } from './cookies.js';
import { pageHeaders, refusedPage } from './pages.js';
import type { AuthRuntime } from './runtime.js';
import { tokensEqual } from './resolvers.js';
import { randomToken, type SessionData } from './sessions.js';

export const DEFAULT_RETURN = '/auth/whoami';

/** A same-origin path to go to after signing in; anything else becomes the default. */
export function safeReturnTo(v: unknown): string {
  if (typeof v !== 'string' || v.length > 2000) return DEFAULT_RETURN;
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(v)) return DEFAULT_RETURN;
  if (/^\/auth\/(login|logout|callback|oidc|saml)/.test(v)) return DEFAULT_RETURN;
  return v;
}

export function wantsJson(req: Request): boolean {
  if (req.method === 'GET')
    return !!req.accepts(['html', 'json']) && req.accepts(['html', 'json']) === 'json';
  return !req.is('application/x-www-form-urlencoded');
}

/** The browser's session (cookie), if any and still alive. */
export async function currentSession(
  rt: AuthRuntime,
  req: Request,
): Promise<{ id: string; handle: string; data: SessionData } | undefined> {
  const id = readCookies(req)[rt.cookies.session];
  if (!id) return undefined;
  const data = await rt.sessions.get(id, true);
  return data ? { id, handle: rt.sessions.handleOf(id), data } : undefined;
}

export function setSessionCookies(rt: AuthRuntime, res: Response, id: string, csrf: string): void {
  const maxAge = Math.floor(rt.sessions.maxAgeMs / 1000);
  setCookie(res, rt.cookies.session, id, { secure: rt.secure, httpOnly: true, maxAge });
  // readable by the dashboard's script, which echoes it in X-CSRF-Token
  setCookie(res, rt.cookies.csrf, csrf, { secure: rt.secure, httpOnly: false, maxAge });
}

export function clearSessionCookies(rt: AuthRuntime, res: Response): void {
  clearCookie(res, rt.cookies.session, rt.secure);
  clearCookie(res, rt.cookies.csrf, rt.secure);
}

/**
 * Start a new session (a fresh id: never reuse one from before authentication) and end
 * the browser's previous one. Records auth.login in the organization's audit trail.
 */
export async function startSession(
  rt: AuthRuntime,
  req: Request,
  res: Response,
  data: Omit<SessionData, 'csrf' | 'created'>,
  auditAfter: Record<string, unknown> = {},
): Promise<{ id: string; handle: string; data: SessionData }> {
  const previous = readCookies(req)[rt.cookies.session];
  if (previous) await rt.sessions.destroy(previous).catch(() => undefined);
  const { id, data: full } = await rt.sessions.create(data);
  const handle = rt.sessions.handleOf(id);
  setSessionCookies(rt, res, id, full.csrf);
  clearCookie(res, rt.cookies.prelogin, rt.secure);
  // recorded without holding up the answer (audit appends of one organization are serialized)
  void withOrg(rt.pool, data.org, (c) =>
    appendAudit(c, {
      orgId: data.org,
      actor: { type: 'user', id: data.uid, label: data.email },
      action: 'auth.login',
      target: { type: 'user', id: data.uid },
      sourceAddress: req.ip,
      requestId: req.id,
      after: { method: data.method, provider: data.provider ?? null, session: handle, ...auditAfter },
    }),
  ).catch((err: Error) =>
    req.log.warn({ err: { message: err.message } }, 'could not record auth.login in the audit trail'),
  );
  req.log.info(
    {
      userId: data.uid,
      orgId: data.org,
      method: data.method,
      provider: data.provider,
      session: handle,
      source: req.ip,
    },
    'signed in',
  );
  return { id, handle, data: full };
}

// ---- login-form CSRF (before a session exists): double submit bound to SESSION_SECRET --

export function loginCsrf(rt: AuthRuntime, req: Request, res: Response): string {
  let pre = readCookies(req)[rt.cookies.prelogin];
  if (!pre || !/^[A-Za-z0-9_-]{43}$/.test(pre)) {
    pre = randomToken(32);
    setCookie(res, rt.cookies.prelogin, pre, { secure: rt.secure, httpOnly: true, maxAge: 3600 });
  }
  return createHmac('sha256', rt.sessionSecret).update(`login:${pre}`).digest('base64url');
}

export function loginCsrfValid(rt: AuthRuntime, req: Request, token: unknown): boolean {
  const pre = readCookies(req)[rt.cookies.prelogin];
  if (!pre || typeof token !== 'string') return false;
  const expected = createHmac('sha256', rt.sessionSecret).update(`login:${pre}`).digest('base64url');
  return tokensEqual(token, expected);
}

/** The refusal page (HTML) — with a log line saying why — or the error envelope (JSON). */
export function refuse(
  req: Request,
  res: Response,
  o: {
    status: number;
    code: string;
    title: string;
    reason: string;
    detail?: string;
    log?: Record<string, unknown>;
    json?: boolean;
  },
): void {
  req.log.warn({ code: o.code, reason: o.reason, ...(o.log ?? {}) }, `sign-in refused: ${o.reason}`);
  if (o.json ?? wantsJson(req)) {
    res.status(o.status).json({ error: { code: o.code, message: o.reason, requestId: req.id } });
    return;
  }
  pageHeaders(res);
  res
    .status(o.status)
    .type('html')
    .send(refusedPage({ title: o.title, reason: o.reason, detail: o.detail, requestId: req.id }));
}
