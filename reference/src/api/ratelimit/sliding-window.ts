// Rate limits: a sliding-window log in Redis per key (API key or user) and route, shared
// by every api replica. One Lua script drops entries older than the window, counts
// what is left and admits the request when under the limit, atomically; time comes from
// the Redis server so replicas agree. Answers carry X-RateLimit-Limit/-Remaining/-Reset
// (Reset in Unix seconds, when the oldest counted request leaves the window); a refusal
// is 429 with Retry-After (seconds). When Redis is unreachable requests pass (fail open)
// and a warning is logged: a limiter outage must not take the API down.
import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { sendError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Redis } from '../../common/redis.js';

const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], window)
local reset = now + window
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window end
return {allowed, limit - count, reset, now}
`;

type WithScript = Redis & {
  aigosSlidingWindow(
    key: string,
    windowMs: number,
    limit: number,
    nonce: string,
  ): Promise<[number, number, number, number]>;
};

export interface Decision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix ms when a slot frees up. */
  resetMs: number;
  nowMs: number;
}

export class SlidingWindowLimiter {
  private readonly redis: WithScript;

  constructor(redis: Redis) {
    if (!('aigosSlidingWindow' in redis))
      redis.defineCommand('aigosSlidingWindow', { numberOfKeys: 1, lua: SCRIPT });
    this.redis = redis as WithScript;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<Decision> {
    const [allowed, remaining, resetMs, nowMs] = await this.redis.aigosSlidingWindow(
      `aigos:rl:${key}`,
      windowMs,
      limit,
      randomBytes(6).toString('hex'),
    );
    return { allowed: allowed === 1, limit, remaining: Math.max(0, remaining), resetMs, nowMs };
  }
}

export interface RateLimitOptions {
  limiter: SlidingWindowLimiter;
  /** Route name in the key, e.g. "events:push". */
  route: string;
  limit: number;
  windowMs: number;
  /** Who is limited: the API key or user. */
  keyOf: (req: Request) => string;
  /** Requests that are never limited (critical events on the single-event route). */
  exempt?: (req: Request) => boolean;
  log: Logger;
}

export function rateLimit(opts: RateLimitOptions): RequestHandler {
  let lastWarned = 0;
  return async (req, res, next) => {
    if (opts.limit <= 0 || opts.exempt?.(req)) return next();
    let d: Decision;
    try {
      d = await opts.limiter.hit(`${opts.route}:${opts.keyOf(req)}`, opts.limit, opts.windowMs);
    } catch (err) {
      if (Date.now() - lastWarned > 10_000) {
        lastWarned = Date.now();
        opts.log.warn(
          { err: { message: (err as Error).message } },
          'rate limiter unavailable; admitting requests',
        );
      }
      return next();
    }
    res.setHeader('X-RateLimit-Limit', String(d.limit));
    res.setHeader('X-RateLimit-Remaining', String(d.remaining));
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(d.resetMs / 1000)));
    if (d.allowed) return next();
    const retryAfter = Math.max(1, Math.ceil((d.resetMs - d.nowMs) / 1000));
    res.setHeader('Retry-After', String(retryAfter));
    sendError(
      res,
      429,
      'RATE_LIMITED',
      `rate limit of ${d.limit} requests per ${opts.windowMs / 1000} s on this route reached; retry after ${retryAfter} s`,
    );
  };
}
