// Everything the login flows and the principal resolvers share, built once per api
// process from the configuration.
import type pg from 'pg';
import type { Logger } from '../../common/logger.js';
import type { Redis } from '../../common/redis.js';
import { cookieNames, type CookieNames } from './cookies.js';
import type { LoginThrottle } from './lockout.js';
import type { SessionStore } from './sessions.js';
import type { SigningKeys } from './signing-keys.js';
import type { AccessTokens } from './tokens.js';
import type { TrustFn } from './trust-proxy.js';

export interface AuthRuntime {
  pool: pg.Pool;
  redis: Redis;
  log: Logger;
  /** PUBLIC_URL without a trailing slash */
  publicUrl: string;
  publicOrigin: string;
  /** cookies are Secure (and __Host- prefixed) when PUBLIC_URL is https */
  secure: boolean;
  cookies: CookieNames;
  sessionSecret: string;
  sessions: SessionStore;
  throttle: LoginThrottle;
  keys: SigningKeys;
  tokens: AccessTokens;
  trust: TrustFn;
  /** local (password) login enabled */
  localEnabled: boolean;
}

export function publicParts(publicUrl: string): {
  publicUrl: string;
  publicOrigin: string;
  secure: boolean;
  cookies: CookieNames;
} {
  const u = new URL(publicUrl);
  const secure = u.protocol === 'https:';
  return {
    publicUrl: publicUrl.replace(/\/+$/, ''),
    publicOrigin: u.origin,
    secure,
    cookies: cookieNames(secure),
  };
}
