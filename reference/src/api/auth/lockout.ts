// Login throttling in Redis, per account and per source address. Every attempt is counted
// before the password is checked (so parallel guesses cannot all slip under the limit);
// a success clears the account's count and gives the source its attempt back.
//
//  - from the 3rd consecutive failure of an account (or the 15th of a source) each
//    attempt waits first: 250 ms, doubling, at most 5 s;
//  - THRESHOLD failures of an account within WINDOW lock it for WINDOW (even the right
//    password is refused meanwhile); 5 x THRESHOLD failures from one source block that
//    source for WINDOW.
// Counting any submitted e-mail (existing or not) keeps the answers identical for
// unknown accounts, so the lock does not reveal which accounts exist.
import { createHash } from 'node:crypto';
import type { Redis } from '../../common/redis.js';

export interface ThrottleSettings {
  threshold: number;
  windowSeconds: number;
}

export type Blocked = { scope: 'account' | 'source'; retryAfterSeconds: number };

const K = 'aigos:login:';
const acct = (email: string) =>
  createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);

// KEYS: failA, failS, lockA, lockS; ARGV: window, threshold, sourceThreshold
// returns { blockedScope (0 none, 1 account, 2 source), ttl, failuresA, failuresS }
const BEGIN = `
local ttlA = redis.call('PTTL', KEYS[3])
if ttlA > 0 then return {1, ttlA, 0, 0} end
local ttlS = redis.call('PTTL', KEYS[4])
if ttlS > 0 then return {2, ttlS, 0, 0} end
local a = redis.call('INCR', KEYS[1])
if a == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local s = redis.call('INCR', KEYS[2])
if s == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
if a > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[3], '1', 'EX', ARGV[1])
  redis.call('DEL', KEYS[1])
  return {1, tonumber(ARGV[1]) * 1000, a, s}
end
if s > tonumber(ARGV[3]) then
  redis.call('SET', KEYS[4], '1', 'EX', ARGV[1])
  redis.call('DEL', KEYS[2])
  return {2, tonumber(ARGV[1]) * 1000, a, s}
end
return {0, 0, a, s}
`;

export interface Attempt {
  blocked?: Blocked;
  /** wait this long before answering (slow-down) */
  delayMs: number;
  /** earlier failures counted for the account (this attempt excluded) */
  accountFailures: number;
}

export function slowDown(previousFailures: number): number {
  if (previousFailures < 2) return 0;
  return Math.min(250 * 2 ** (previousFailures - 2), 5_000);
}

export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    readonly settings: ThrottleSettings,
  ) {}

  private keys(email: string, source: string): string[] {
    const a = acct(email);
    return [`${K}fail:a:${a}`, `${K}fail:s:${source}`, `${K}lock:a:${a}`, `${K}lock:s:${source}`];
  }

  /** Count an attempt; says whether it may proceed and how long to wait first. */
  async begin(email: string, source: string): Promise<Attempt> {
    const { threshold, windowSeconds } = this.settings;
    const r = (await this.redis.eval(
      BEGIN,
      4,
      ...this.keys(email, source),
      windowSeconds,
      threshold,
      threshold * 5,
    )) as [number, number, number, number];
    const [scope, ttlMs, a, s] = r;
    if (scope !== 0) {
      return {
        blocked: {
          scope: scope === 1 ? 'account' : 'source',
          retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
        },
        delayMs: 0,
        accountFailures: a,
      };
    }
    const previous = Math.max(a - 1, Math.floor((s - 1) / 5));
    return { delayMs: slowDown(previous), accountFailures: a - 1 };
  }

  /** The password was right: forget the account's failures, give the source its attempt back. */
  async succeeded(email: string, source: string): Promise<void> {
    const [failA, failS] = this.keys(email, source);
    await this.redis
      .multi()
      .del(failA!)
      .eval(
        `local v = redis.call('GET', KEYS[1]) if v and tonumber(v) > 0 then redis.call('DECR', KEYS[1]) end return 0`,
        1,
        failS!,
      )
      .exec();
  }

  /** Operator/test helper: lift a lock and forget the failures of an account. */
  async reset(email: string, source?: string): Promise<void> {
    const keys = this.keys(email, source ?? '-');
    await this.redis.del(keys[0]!, keys[2]!, ...(source ? [keys[1]!, keys[3]!] : []));
  }
}
