// /auth routes of local accounts and sessions: sign-in page and POST, sign-out, the
// (forced) password change, the session as JSON, "who am I", access tokens and the JWKS.
//
// Browsers post forms (application/x-www-form-urlencoded) and get pages and redirects;
// programs post JSON and get JSON (the error envelope on failure). A JSON body cannot be
// sent cross-site without a CORS preflight, so the login-form CSRF token is needed only
// for form posts; once a session exists every unsafe request carries its CSRF token.
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { appendAudit } from '../../common/audit.js';
import { HttpError } from '../../common/errors.js';
import { withOrg } from '../../common/tenancy.js';
import {
  clearSessionCookies,
  currentSession,
  DEFAULT_RETURN,
  loginCsrf,
  loginCsrfValid,
  refuse,
  safeReturnTo,
  setSessionCookies,
  startSession,
  wantsJson,
} from './flows.js';
import { credentialsOf } from './middleware.js';
import { AUTH_CSS, changePasswordPage, loginPage, pageHeaders, whoamiPage, type SsoButton } from './pages.js';
import { hashPassword, PASSWORD_MIN_LENGTH, passwordProblems, verifyPassword } from './passwords.js';
import { csrfTokenOf, principalOfSession, tokensEqual } from './resolvers.js';
import type { AuthRuntime } from './runtime.js';
import type { SessionData } from './sessions.js';
import { looksLikeJwt, TokenError } from './tokens.js';
import {
  findUserById,
  findUserByEmail,
  memberState,
  membershipsOf,
  setPasswordHash,
  upgradePasswordHash,
} from './users.js';

/** What the single sign-on part adds to the shared pages and sign-out. */
export interface SsoHooks {
  buttons(returnTo: string): SsoButton[];
  /** origins forms may post or redirect to (the SAML IdP's logout endpoint) */
  formActions: string[];
  /** A URL to send the browser to after the local session ended (SAML single logout). */
  logoutRedirect(session: SessionData, req: Request): Promise<string | undefined>;
}

const NO_SSO: SsoHooks = { buttons: () => [], formActions: [], logoutRedirect: async () => undefined };

const loginBody = z.object({
  email: z.string().trim().min(1, 'is required').max(320),
  password: z.string().min(1, 'is required').max(1024),
  organization: z.string().max(63).optional(),
  returnTo: z.string().optional(),
  _csrf: z.string().optional(),
});

const changeBody = z.object({
  currentPassword: z.string().max(1024).default(''),
  newPassword: z.string().max(1024).default(''),
  confirmPassword: z.string().max(1024).optional(),
  returnTo: z.string().optional(),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function validation(err: z.ZodError): HttpError {
  return new HttpError(
    400,
    'VALIDATION_FAILED',
    'the request body is invalid',
    err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

export function localRoutes(router: Router, rt: AuthRuntime, sso: SsoHooks = NO_SSO): void {
  const html = (res: Response, status: number, body: string) => {
    pageHeaders(res, sso.formActions);
    res.status(status).type('html').send(body);
  };

  router.get('/assets/auth.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('css').send(AUTH_CSS);
  });

  const renderLogin = (
    req: Request,
    res: Response,
    status: number,
    o: { email?: string; error?: string; notice?: string; returnTo?: string } = {},
  ) =>
    html(
      res,
      status,
      loginPage({
        csrf: loginCsrf(rt, req, res),
        returnTo: safeReturnTo(o.returnTo ?? req.query.returnTo),
        email: o.email,
        error: o.error,
        notice: o.notice,
        localEnabled: rt.localEnabled,
        providers: sso.buttons(safeReturnTo(o.returnTo ?? req.query.returnTo)),
      }),
    );

  router.get('/login', (req, res) => {
    const notice = req.query.signedOut !== undefined ? 'You are signed out.' : undefined;
    renderLogin(req, res, 200, { notice });
  });

  router.post('/login', async (req, res) => {
    const json = wantsJson(req);
    if (!rt.localEnabled)
      throw new HttpError(404, 'NOT_FOUND', 'password sign-in is disabled; use single sign-on');
    if (!json && !loginCsrfValid(rt, req, req.body?._csrf)) {
      req.log.warn({ source: req.ip }, 'login form without a valid CSRF token');
      return renderLogin(req, res, 403, {
        error: 'The sign-in form expired. Please try again.',
        returnTo: req.body?.returnTo,
      });
    }
    if (json && !req.is('application/json'))
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON or a form');
    const parsed = loginBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      if (json) throw validation(parsed.error);
      return renderLogin(req, res, 400, {
        error: 'Enter your e-mail and password.',
        email: req.body?.email,
        returnTo: req.body?.returnTo,
      });
    }
    const { email, password, organization } = parsed.data;
    const returnTo = safeReturnTo(parsed.data.returnTo);
    const source = req.ip ?? 'unknown';

    const attempt = await rt.throttle.begin(email, source);
    if (attempt.blocked) {
      const minutes = Math.ceil(attempt.blocked.retryAfterSeconds / 60);
      const message =
        attempt.blocked.scope === 'account'
          ? `Too many failed sign-ins for this account. It is locked; try again in ${minutes} minute(s).`
          : `Too many failed sign-ins from your address. Try again in ${minutes} minute(s).`;
      req.log.warn(
        { email, source, scope: attempt.blocked.scope, retryAfter: attempt.blocked.retryAfterSeconds },
        'login refused: locked',
      );
      res.setHeader('Retry-After', String(attempt.blocked.retryAfterSeconds));
      if (json)
        throw new HttpError(
          429,
          attempt.blocked.scope === 'account' ? 'ACCOUNT_LOCKED' : 'SOURCE_BLOCKED',
          message,
          [{ retryAfterSeconds: attempt.blocked.retryAfterSeconds }],
        );
      return renderLogin(req, res, 429, { error: message, email, returnTo });
    }
    if (attempt.delayMs > 0) await sleep(attempt.delayMs);

    const user = await findUserByEmail(rt.pool, email);
    const check = await verifyPassword(user?.password_hash, password);
    let org;
    let reason: string | undefined;
    if (!user) reason = 'unknown e-mail';
    else if (!check.ok)
      reason = user.password_hash ? 'wrong password' : 'account has no password (single sign-on only)';
    else if (user.disabled) reason = 'account disabled';
    else {
      const memberships = await membershipsOf(rt.pool, user.id);
      org = organization ? memberships.find((m) => m.orgSlug === organization) : memberships[0];
      if (!org)
        reason = organization ? `not a member of ${organization}` : 'not a member of any organization';
    }
    if (reason || !user || !org) {
      req.log.warn({ email, source, reason, failures: attempt.accountFailures + 1 }, 'login failed');
      const message = 'The e-mail or password is incorrect.';
      if (json) throw new HttpError(401, 'INVALID_CREDENTIALS', message);
      return renderLogin(req, res, 401, { error: message, email, returnTo });
    }
    await rt.throttle.succeeded(email, source);
    if (check.needsRehash) {
      const old = user.password_hash!;
      void hashPassword(password)
        .then((h) => upgradePasswordHash(rt.pool, user.id, old, h))
        .catch((err: Error) => req.log.warn({ err: { message: err.message } }, 'password rehash failed'));
    }
    const session = await startSession(rt, req, res, {
      uid: user.id,
      org: org.orgId,
      email: user.email,
      method: 'password',
      mcp: user.must_change_password,
    });
    if (json) {
      res.json({
        user: { id: user.id, email: user.email, name: user.name },
        organization: { id: org.orgId, slug: org.orgSlug, name: org.orgName },
        role: org.role,
        mustChangePassword: user.must_change_password,
        csrfToken: session.data.csrf,
        ...(user.must_change_password ? { changePasswordUrl: '/auth/change-password' } : {}),
      });
      return;
    }
    const next = user.must_change_password
      ? `/auth/change-password?returnTo=${encodeURIComponent(returnTo)}`
      : returnTo;
    res.redirect(303, next);
  });

  router.post('/logout', async (req, res) => {
    const json = wantsJson(req);
    // a bearer access token ends its own session
    const creds = credentialsOf(req);
    if (creds.bearer && looksLikeJwt(creds.bearer)) {
      let claims;
      try {
        claims = await rt.tokens.verify(creds.bearer);
      } catch (err) {
        if (err instanceof TokenError) throw new HttpError(401, 'UNAUTHENTICATED', err.message);
        throw err;
      }
      await rt.sessions.destroyByHandle(claims.sid);
      req.log.info({ userId: claims.sub, session: claims.sid }, 'signed out (access token)');
      res.status(204).end();
      return;
    }
    const s = await currentSession(rt, req);
    if (!s) {
      clearSessionCookies(rt, res);
      if (json) return void res.status(204).end();
      return void res.redirect(303, '/auth/login?signedOut');
    }
    if (!tokensEqual(csrfTokenOf(req), s.data.csrf)) {
      return refuse(req, res, {
        status: 403,
        code: 'CSRF_TOKEN_INVALID',
        title: 'Sign-out refused',
        reason: 'The sign-out request did not carry this session’s CSRF token.',
        log: { session: s.handle },
      });
    }
    await rt.sessions.destroy(s.id);
    clearSessionCookies(rt, res);
    req.log.info({ userId: s.data.uid, session: s.handle, method: s.data.method }, 'signed out');
    const idpLogout = await sso.logoutRedirect(s.data, req).catch((err: Error) => {
      req.log.warn(
        { err: { message: err.message } },
        'single logout at the identity provider could not start',
      );
      return undefined;
    });
    if (json) {
      if (idpLogout) res.json({ redirect: idpLogout });
      else res.status(204).end();
      return;
    }
    res.redirect(303, idpLogout ?? '/auth/login?signedOut');
  });

  router.get('/change-password', async (req, res) => {
    const s = await currentSession(rt, req);
    if (!s) return res.redirect(303, `/auth/login?returnTo=${encodeURIComponent('/auth/change-password')}`);
    const user = await findUserById(rt.pool, s.data.uid);
    if (!user?.password_hash)
      return refuse(req, res, {
        status: 400,
        code: 'NO_LOCAL_PASSWORD',
        title: 'No password to change',
        reason: 'Your account signs in through your identity provider; change your password there.',
      });
    html(
      res,
      200,
      changePasswordPage({
        csrf: s.data.csrf,
        returnTo: safeReturnTo(req.query.returnTo),
        email: user.email,
        forced: user.must_change_password,
        minLength: PASSWORD_MIN_LENGTH,
      }),
    );
  });

  router.post('/change-password', async (req, res) => {
    const json = wantsJson(req);
    const s = await currentSession(rt, req);
    if (!s) {
      if (json) throw new HttpError(401, 'UNAUTHENTICATED', 'sign in first');
      return res.redirect(303, '/auth/login');
    }
    if (!tokensEqual(csrfTokenOf(req), s.data.csrf)) {
      return refuse(req, res, {
        status: 403,
        code: 'CSRF_TOKEN_INVALID',
        title: 'Password change refused',
        reason: 'The request did not carry this session’s CSRF token.',
        log: { session: s.handle },
      });
    }
    const parsed = changeBody.safeParse(req.body ?? {});
    if (!parsed.success) throw validation(parsed.error);
    const { currentPassword, newPassword, confirmPassword } = parsed.data;
    const returnTo = safeReturnTo(parsed.data.returnTo);
    const user = await findUserById(rt.pool, s.data.uid);
    if (!user?.password_hash)
      throw new HttpError(400, 'NO_LOCAL_PASSWORD', 'this account has no local password');
    const again = (status: number, o: { error?: string; problems?: string[] }) => {
      if (json)
        throw new HttpError(
          status,
          status === 401 ? 'INVALID_CREDENTIALS' : status === 429 ? 'ACCOUNT_LOCKED' : 'VALIDATION_FAILED',
          o.error ?? 'the new password is not acceptable',
          (o.problems ?? []).map((p) => ({ path: 'newPassword', message: p })),
        );
      html(
        res,
        status,
        changePasswordPage({
          csrf: s.data.csrf,
          returnTo,
          email: user.email,
          forced: user.must_change_password,
          minLength: PASSWORD_MIN_LENGTH,
          ...o,
        }),
      );
    };
    const source = req.ip ?? 'unknown';
    const attempt = await rt.throttle.begin(user.email, source);
    if (attempt.blocked) {
      res.setHeader('Retry-After', String(attempt.blocked.retryAfterSeconds));
      return again(429, { error: 'Too many failed attempts; try again later.' });
    }
    if (attempt.delayMs) await sleep(attempt.delayMs);
    const check = await verifyPassword(user.password_hash, currentPassword);
    if (!check.ok) {
      req.log.warn({ userId: user.id, source }, 'password change: wrong current password');
      return again(401, { error: 'The current password is incorrect.' });
    }
    await rt.throttle.succeeded(user.email, source);
    const problems = passwordProblems(newPassword, { email: user.email, current: currentPassword });
    if (confirmPassword !== undefined && confirmPassword !== newPassword)
      problems.push('and its repetition differ');
    if (problems.length) return again(400, { problems });

    const hash = await hashPassword(newPassword);
    const wasForced = user.must_change_password;
    await withOrg(rt.pool, s.data.org, async (c) => {
      await setPasswordHash(c, user.id, hash, { clearMustChange: true });
      await appendAudit(c, {
        orgId: s.data.org,
        actor: { type: 'user', id: user.id, label: user.email },
        action: 'auth.password.changed',
        target: { type: 'user', id: user.id },
        sourceAddress: req.ip,
        requestId: req.id,
        after: { forced: wasForced },
      });
    });
    // every other session (and the access tokens minted from them) ends; this browser gets a new one
    const revoked = await rt.sessions.destroyAllForUser(user.id);
    req.log.info({ userId: user.id, forced: wasForced, sessionsRevoked: revoked }, 'password changed');
    const fresh = await startSession(rt, req, res, { ...s.data, mcp: false });
    if (json) return void res.json({ changed: true, csrfToken: fresh.data.csrf });
    res.redirect(303, returnTo);
  });

  router.get('/session', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const s = await currentSession(rt, req);
    if (!s) throw new HttpError(401, 'UNAUTHENTICATED', 'no session: sign in at /auth/login');
    const m = await memberState(rt.pool, s.data.uid, s.data.org);
    if (!m || m.disabled || !m.role) {
      await rt.sessions.destroy(s.id);
      clearSessionCookies(rt, res);
      throw new HttpError(
        401,
        'UNAUTHENTICATED',
        'this account is disabled or no longer a member of the organization',
      );
    }
    setSessionCookies(rt, res, s.id, s.data.csrf);
    res.json({
      user: { id: s.data.uid, email: m.email, name: m.name },
      organization: { id: s.data.org, slug: m.orgSlug, name: m.orgName },
      role: m.role,
      method: s.data.method,
      provider: s.data.provider ?? null,
      mustChangePassword: m.mustChangePassword,
      csrfToken: s.data.csrf,
      expiresAt: new Date(Date.now() + rt.sessions.maxAgeMs).toISOString(),
    });
  });

  router.get('/whoami', async (req, res) => {
    const s = await currentSession(rt, req);
    if (!s) return res.redirect(303, `/auth/login?returnTo=${encodeURIComponent(DEFAULT_RETURN)}`);
    const m = await memberState(rt.pool, s.data.uid, s.data.org);
    if (!m || m.disabled || !m.role) {
      await rt.sessions.destroy(s.id);
      clearSessionCookies(rt, res);
      return res.redirect(303, '/auth/login');
    }
    if (m.mustChangePassword) return res.redirect(303, '/auth/change-password');
    html(
      res,
      200,
      whoamiPage({
        csrf: s.data.csrf,
        email: m.email,
        name: m.name,
        userId: s.data.uid,
        orgSlug: m.orgSlug ?? '',
        orgName: m.orgName ?? '',
        role: m.role,
        method: s.data.method,
        provider: s.data.provider,
      }),
    );
  });

  // an access token (JWT) for the signed-in browser: "refresh by session"
  router.post('/token', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const s = await currentSession(rt, req);
    if (!s) throw new HttpError(401, 'UNAUTHENTICATED', 'no session: sign in at /auth/login');
    if (!tokensEqual(csrfTokenOf(req), s.data.csrf))
      throw new HttpError(
        403,
        'CSRF_TOKEN_INVALID',
        'POST /auth/token needs the X-CSRF-Token header of the session',
      );
    const p = await principalOfSession(rt, s.data, s.handle, 'session');
    const t = await rt.tokens.issue({
      userId: p.userId,
      orgId: p.orgId,
      sessionId: s.handle,
      role: p.role,
      email: p.email,
    });
    res.json({ access_token: t.token, token_type: 'Bearer', expires_in: t.expiresIn });
  });

  router.get('/jwks.json', async (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.json(await rt.keys.jwks());
  });
}

export const authBodyParsers = [
  express.urlencoded({ extended: false, limit: '512kb', parameterLimit: 50 }),
  express.json({ limit: '16kb' }),
];
