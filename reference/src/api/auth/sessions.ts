// Browser sessions, kept in Redis so every api replica sees them. The cookie carries a
// 256-bit random id; Redis holds the session under HMAC-SHA256(SESSION_SECRET, id), so
// a copy of Redis does not hand out usable cookies. Sessions are rolling: each use moves
// the expiry SESSION_MAX_AGE into the future (GETEX). Each user has an index of their
// sessions, so a password change or a disabled account revokes all of them.
import { createHmac, randomBytes } from 'node:crypto';
import type { Redis } from '../../common/redis.js';

export type AuthMethod = 'password' | 'oidc' | 'saml';

export interface SamlSessionInfo {
  provider: string;
  nameID: string;
  nameIDFormat: string;
  sessionIndex?: string;
  nameQualifier?: string;
  spNameQualifier?: string;
}

export interface SessionData {
  /** user id */
  uid: string;
  /** organization id */
  org: string;
  email: string;
  /** synchronizer CSRF token */
  csrf: string;
  /** created (epoch ms) */
  created: number;
  method: AuthMethod;
  /** the SSO provider name, when method is oidc or saml */
  provider?: string;
  /** must change the password before anything else */
  mcp: boolean;
  saml?: SamlSessionInfo;
}

const ID_RE = /^[A-Za-z0-9_-]{43}$/;
const HANDLE_RE = /^[A-Za-z0-9_-]{43}$/;
const PREFIX = 'aigos:session:';
const USER_PREFIX = 'aigos:user-sessions:';

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly secret: string,
    readonly maxAgeMs: number,
  ) {}

  /**
   * The public handle of a session: HMAC-SHA256(SESSION_SECRET, id). It names the session
   * in Redis, in access tokens (`sid`), logs and the audit trail, and cannot be turned
   * back into the cookie.
   */
  handleOf(id: string): string {
    return createHmac('sha256', this.secret).update(id).digest('base64url');
  }

  private key(id: string): string {
    return PREFIX + this.handleOf(id);
  }

  async create(data: Omit<SessionData, 'csrf' | 'created'>): Promise<{ id: string; data: SessionData }> {
    const id = randomToken(32);
    const full: SessionData = { ...data, csrf: randomToken(32), created: Date.now() };
    const key = this.key(id);
    await this.redis
      .multi()
      .set(key, JSON.stringify(full), 'PX', this.maxAgeMs)
      .sadd(USER_PREFIX + full.uid, key)
      .pexpire(USER_PREFIX + full.uid, this.maxAgeMs)
      .exec();
    return { id, data: full };
  }

  /** The session, or undefined; `touch` extends its idle expiry (rolling sessions). */
  async get(id: string | undefined, touch = true): Promise<SessionData | undefined> {
    if (!id || !ID_RE.test(id)) return undefined;
    const key = this.key(id);
    const raw = touch ? await this.redis.getex(key, 'PX', this.maxAgeMs) : await this.redis.get(key);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as SessionData;
    } catch {
      return undefined;
    }
  }

  /** The session named by its handle (an access token's `sid`); does not extend it. */
  async getByHandle(handle: string): Promise<SessionData | undefined> {
    if (!HANDLE_RE.test(handle)) return undefined;
    const raw = await this.redis.get(PREFIX + handle);
    return raw ? (JSON.parse(raw) as SessionData) : undefined;
  }

  async destroy(id: string | undefined): Promise<SessionData | undefined> {
    if (!id || !ID_RE.test(id)) return undefined;
    const key = this.key(id);
    const raw = await this.redis.getdel(key);
    if (!raw) return undefined;
    const data = JSON.parse(raw) as SessionData;
    await this.redis.srem(USER_PREFIX + data.uid, key);
    return data;
  }

  async destroyByHandle(handle: string): Promise<SessionData | undefined> {
    if (!HANDLE_RE.test(handle)) return undefined;
    const raw = await this.redis.getdel(PREFIX + handle);
    if (!raw) return undefined;
    const data = JSON.parse(raw) as SessionData;
    await this.redis.srem(USER_PREFIX + data.uid, PREFIX + handle);
    return data;
  }

  /** Revoke every session of a user (password change, account disabled). Returns how many. */
  async destroyAllForUser(uid: string): Promise<number> {
    const keys = await this.redis.smembers(USER_PREFIX + uid);
    if (keys.length === 0) return 0;
    const [deleted] =
      (await this.redis
        .multi()
        .del(...keys)
        .del(USER_PREFIX + uid)
        .exec()) ?? [];
    return Number(deleted?.[1] ?? 0);
  }

  /** Sessions of a user that came from one SAML NameID (IdP-initiated logout). */
  async destroyWhere(uid: string, match: (s: SessionData) => boolean): Promise<number> {
    const keys = await this.redis.smembers(USER_PREFIX + uid);
    let n = 0;
    for (const key of keys) {
      const raw = await this.redis.get(key);
      if (!raw) continue;
      if (match(JSON.parse(raw) as SessionData)) {
        await this.redis
          .multi()
          .del(key)
          .srem(USER_PREFIX + uid, key)
          .exec();
        n++;
      }
    }
    return n;
  }
}
