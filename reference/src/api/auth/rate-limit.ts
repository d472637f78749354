// Rate limit of /auth/* per client address, as the seed's nginx zone (10 r/s, burst 5,
// nodelay): GCRA in Redis, shared by every replica. The client address is req.ip, which
// honours only the TRUST_PROXY list, so a forged X-Forwarded-For from an untrusted peer
// does not change the bucket.
import type { RequestHandler } from 'express';
import type { Logger } from '../../common/logger.js';
import type { Redis } from '../../common/redis.js';
import { sendError } from '../../common/errors.js';

// KEYS[1] bucket; ARGV[1] emission interval (ms), ARGV[2] tolerance (ms) = burst x interval
// returns { allowed (1/0), retryAfterMs }
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > tolerance then return {0, tat - now - tolerance} end
local nextTat = tat + interval
redis.call('SET', KEYS[1], nextTat, 'PX', nextTat - now + 1000)
return {1, 0}
`;

export interface AuthRateLimit {
  rps: number;
  burst: number;
}

export function authRateLimit(redis: Redis, limit: AuthRateLimit, log: Logger): RequestHandler {
  const interval = limit.rps > 0 ? 1000 / limit.rps : 0;
  return async (req, res, next) => {
    if (limit.rps <= 0) return next();
    const source = req.ip ?? 'unknown';
    let result: [number, number];
    try {
      result = (await redis.eval(GCRA, 1, `aigos:rl:auth:${source}`, interval, interval * limit.burst)) as [
        number,
        number,
      ];
    } catch (err) {
      // fail open: an unreachable Redis already stops sessions; logins then fail on their own
      log.warn({ err: { message: (err as Error).message } }, 'auth rate limit unavailable (Redis)');
      return next();
    }
    res.setHeader('X-RateLimit-Limit', `${limit.rps};burst=${limit.burst}`);
    if (result[0] === 1) return next();
    const retry = Math.max(1, Math.ceil(result[1] / 1000));
    res.setHeader('Retry-After', String(retry));
    req.log?.warn({ source, path: req.path }, 'auth rate limit exceeded');
    sendError(res, 429, 'RATE_LIMITED', `too many requests to /auth from ${source}; retry in ${retry} s`);
  };
}
