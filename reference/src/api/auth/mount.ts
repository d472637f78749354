// Wiring of authentication into the api service:
//  - the client address rule (TRUST_PROXY) for req.ip,
//  - /auth/*: rate limit (per client address, Redis), the login flows and SSO,
//  - the principal resolvers (session cookie, access token; the API key resolver is
//    added by the service) for REST, GraphQL and the WebSocket,
//  - /api/v1/auth/signing-keys: listing, rotating and revoking the token signing keys (admin).
import express, { type Express, type Router } from 'express';
import { required } from '../../common/config.js';
import { HttpError } from '../../common/errors.js';
import type { ServiceContext } from '../../common/service.js';
import { LoginThrottle } from './lockout.js';
import { localRoutes, authBodyParsers } from './local-routes.js';
import type { PrincipalResolver } from './middleware.js';
import { allow } from './principal.js';
import { authRateLimit } from './rate-limit.js';
import { jwtResolver, sessionResolver } from './resolvers.js';
import { publicParts, type AuthRuntime } from './runtime.js';
import { SessionStore } from './sessions.js';
import { SigningKeys } from './signing-keys.js';
import { mountSso } from './sso.js';
import { loadSsoConfig } from './sso-config.js';
import { AccessTokens } from './tokens.js';
import { trustProxyFn } from './trust-proxy.js';

export interface AuthModule {
  runtime: AuthRuntime;
  /** session cookie, then access token; put the API key resolver after them */
  resolvers: PrincipalResolver[];
  /** routes under /api/v1 that need an authenticated principal (mount after authenticate) */
  apiRouter: Router;
}

/**
 * Sessions, login throttle, signing keys and access tokens of one process. Verification
 * needs neither secret (public keys; session handles); without JWT_SECRET the process
 * cannot sign, without SESSION_SECRET it cannot read session cookies.
 */
export async function createAuthRuntime(
  ctx: ServiceContext,
  opts: { scheduleRotation?: boolean } = {},
): Promise<AuthRuntime> {
  const { config, log } = ctx;
  const pool = ctx.pool!;
  const redis = ctx.redis!;
  const ttl = required(config, 'ACCESS_TOKEN_TTL_SECONDS');
  const keys = new SigningKeys(pool, config.JWT_SECRET, {
    tokenTtlSeconds: ttl,
    rotationHours: required(config, 'JWT_KEY_ROTATION_HOURS'),
    log,
  });
  // a missing table (migrations pending) must not stop the service: readiness says so,
  // and the first token request creates the key
  await keys
    .init()
    .catch((err: Error) => log.warn({ err: { message: err.message } }, 'signing keys not initialised yet'));
  if (opts.scheduleRotation) keys.startSchedule();
  const parts = publicParts(required(config, 'PUBLIC_URL'));
  const sessionSecret = config.SESSION_SECRET ?? '';
  return {
    pool,
    redis,
    log,
    ...parts,
    sessionSecret,
    sessions: new SessionStore(redis, sessionSecret, required(config, 'SESSION_MAX_AGE')),
    throttle: new LoginThrottle(redis, {
      threshold: required(config, 'AUTH_LOCKOUT_THRESHOLD'),
      windowSeconds: required(config, 'AUTH_LOCKOUT_SECONDS'),
    }),
    keys,
    tokens: new AccessTokens(keys, { issuer: parts.publicUrl, ttlSeconds: ttl }),
    trust: trustProxyFn(required(config, 'TRUST_PROXY')),
    localEnabled: true,
  };
}

/**
 * For another service with PostgreSQL and Redis (e.g. the CA): resolvers that accept the
 * api's access tokens (and session cookies when SESSION_SECRET is set). Put the API key
 * resolver after them.
 */
export async function principalResolvers(ctx: ServiceContext): Promise<PrincipalResolver[]> {
  const rt = await createAuthRuntime(ctx);
  return ctx.config.SESSION_SECRET ? [sessionResolver(rt), jwtResolver(rt)] : [jwtResolver(rt)];
}

export async function mountAuth(app: Express, ctx: ServiceContext): Promise<AuthModule> {
  const { config, log } = ctx;
  // a mistake in the SSO configuration stops the service before anything else (one line naming the path)
  const ssoConfig = loadSsoConfig(config);
  const rt = await createAuthRuntime(ctx, { scheduleRotation: true });
  app.set('trust proxy', rt.trust);
  const redis = rt.redis;
  const keys = rt.keys;

  const router = express.Router();
  router.use(authBodyParsers);
  const sso = await mountSso(router, rt, ssoConfig);
  rt.localEnabled = sso.localEnabled;
  localRoutes(router, rt, sso.hooks);
  app.use(
    '/auth',
    authRateLimit(
      redis,
      { rps: required(config, 'AUTH_RATE_LIMIT_RPS'), burst: required(config, 'AUTH_RATE_LIMIT_BURST') },
      log,
    ),
    router,
  );

  const apiRouter = express.Router();
  apiRouter.get('/auth/signing-keys', ...allow('org:admin', 'admin'), async (_req, res) => {
    res.json({ items: await keys.list() });
  });
  apiRouter.post('/auth/signing-keys/rotate', ...allow('org:admin', 'admin'), async (req, res) => {
    const out = await keys.rotate(`requested by ${req.principal?.userId ?? req.principal?.orgId}`);
    res.status(201).json({ kid: out.kid, previous: out.previous ?? null });
  });
  apiRouter.post('/auth/signing-keys/:kid/revoke', ...allow('org:admin', 'admin'), async (req, res) => {
    const kid = String(req.params.kid);
    if (!(await keys.revoke(kid, `revoked by ${req.principal?.userId ?? 'api key'}`)))
      throw new HttpError(404, 'NOT_FOUND', `no signing key ${kid} (or already revoked)`);
    res.json({ kid, revoked: true });
  });

  return { runtime: rt, resolvers: [sessionResolver(rt), jwtResolver(rt)], apiRouter };
}
