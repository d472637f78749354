// ES256 signing keys of the access tokens, shared by every api replica through
// PostgreSQL (table auth_signing_keys).
//
//  - kid = the RFC 7638 thumbprint of the public JWK; JWKS at /auth/jwks.json.
//  - The private key is stored encrypted: AES-256-GCM with a key derived from JWT_SECRET
//    (HKDF-SHA256, salt "aigos-signing-keys", info "v1"). JWT_SECRET never signs anything
//    itself (no HS256). If JWT_SECRET changes, the stored private key cannot be decrypted:
//    the api logs it and rotates to a fresh key; tokens already issued still verify with
//    the public key until they expire.
//  - Rotation (every JWT_KEY_ROTATION_HOURS, or on demand): a new key signs; the previous
//    one keeps verifying until verify_until = retirement + token lifetime + 60 s.
//  - Revocation: a revoked key verifies nothing from then on (this replica at once, the
//    others within CACHE_MS).
import {
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  hkdfSync,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type pg from 'pg';
import type { Logger } from '../../common/logger.js';

const LOCK = 0x4a7d2e; // advisory lock class of key creation/rotation
const CACHE_MS = 10_000;
const UNKNOWN_KID_RELOAD_MS = 2_000;
export const VERIFY_GRACE_SECONDS = 60;

interface KeyRow {
  kid: string;
  public_jwk: JWK;
  private_enc: Buffer;
  created_at: Date;
  retired_at: Date | null;
  verify_until: Date | null;
  revoked_at: Date | null;
}

export interface SigningKeyInfo {
  kid: string;
  alg: 'ES256';
  createdAt: string;
  retiredAt: string | null;
  verifyUntil: string | null;
  revokedAt: string | null;
  status: 'active' | 'verifying' | 'expired' | 'revoked';
}

interface CachedKey {
  row: KeyRow;
  publicKey: KeyObject;
}

export type KeyLookup =
  { ok: true; key: KeyObject } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

export class SigningKeys {
  private keys = new Map<string, CachedKey>();
  private current?: { kid: string; privateKey: KeyObject };
  private loadedAt = 0;
  private lastUnknownReload = 0;
  private loading?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly encKey: Buffer | undefined;

  constructor(
    private readonly pool: pg.Pool,
    jwtSecret: string | undefined,
    private readonly o: { tokenTtlSeconds: number; rotationHours: number; log: Logger },
  ) {
    // without JWT_SECRET (a verifying-only service) nothing can be signed or created
    this.encKey = jwtSecret
      ? Buffer.from(hkdfSync('sha256', jwtSecret, 'aigos-signing-keys', 'v1', 32))
      : undefined;
  }

  private key(): Buffer {
    if (!this.encKey)
      throw new Error('JWT_SECRET is not set: this service verifies access tokens but cannot sign them');
    return this.encKey;
  }

  private encrypt(der: Buffer): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key(), iv);
    const body = Buffer.concat([c.update(der), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }

  private decrypt(blob: Buffer): Buffer {
    const d = createDecipheriv('aes-256-gcm', this.key(), blob.subarray(0, 12));
    d.setAuthTag(blob.subarray(12, 28));
    return Buffer.concat([d.update(blob.subarray(28)), d.final()]);
  }

  private async newKeyRow(c: pg.PoolClient): Promise<string> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' };
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    await c.query(`INSERT INTO auth_signing_keys (kid, public_jwk, private_enc) VALUES ($1, $2, $3)`, [
      kid,
      JSON.stringify(publicJwk),
      this.encrypt(der),
    ]);
    return kid;
  }

  /** Make sure a signing key exists (first start of a deployment) and load the keys. */
  async init(): Promise<void> {
    if (!this.encKey) return this.load();
    await this.inLock(async (c) => {
      const r = await c.query(
        `SELECT 1 FROM auth_signing_keys WHERE retired_at IS NULL AND revoked_at IS NULL LIMIT 1`,
      );
      if (!r.rowCount) {
        const kid = await this.newKeyRow(c);
        this.o.log.info({ kid }, 'created the first access-token signing key');
      }
    });
    await this.load();
  }

  private async inLock<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK]);
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** Re-read the keys from PostgreSQL (a rotation or revocation by another replica). */
  async load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const r = await this.pool.query<KeyRow>(
          `SELECT kid, public_jwk, private_enc, created_at, retired_at, verify_until, revoked_at
             FROM auth_signing_keys
            WHERE revoked_at IS NOT NULL OR retired_at IS NULL OR verify_until > now() - interval '1 day'
            ORDER BY created_at DESC`,
        );
        const keys = new Map<string, CachedKey>();
        for (const row of r.rows)
          keys.set(row.kid, { row, publicKey: createPublicKey({ key: row.public_jwk, format: 'jwk' }) });
        this.keys = keys;
        const active = r.rows.find((k) => !k.retired_at && !k.revoked_at);
        if (active && this.encKey && this.current?.kid !== active.kid) {
          try {
            this.current = {
              kid: active.kid,
              privateKey: createPrivateKey({
                key: this.decrypt(active.private_enc),
                format: 'der',
                type: 'pkcs8',
              }),
            };
          } catch {
            this.current = undefined;
            this.o.log.error(
              { kid: active.kid },
              'cannot decrypt the access-token signing key (JWT_SECRET changed?); rotating to a new key',
            );
          }
        } else if (!active) this.current = undefined;
        this.loadedAt = Date.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt > CACHE_MS) await this.load();
  }

  /** The key that signs now. */
  async signingKey(): Promise<{ kid: string; privateKey: KeyObject }> {
    await this.fresh();
    if (!this.current) await this.init(); // first use, or the start-up init failed
    if (!this.current) await this.rotate('the active key cannot be decrypted with this JWT_SECRET');
    if (!this.current) throw new Error('no access-token signing key available');
    return this.current;
  }

  /** The public key for a kid, or why there is none. */
  async verificationKey(kid: string | undefined): Promise<KeyLookup> {
    await this.fresh();
    if (!kid) return { ok: false, reason: 'unknown' };
    let k = this.keys.get(kid);
    if (!k && Date.now() - this.lastUnknownReload > UNKNOWN_KID_RELOAD_MS) {
      this.lastUnknownReload = Date.now();
      await this.load();
      k = this.keys.get(kid);
    }
    if (!k) return { ok: false, reason: 'unknown' };
    if (k.row.revoked_at) return { ok: false, reason: 'revoked' };
    if (k.row.verify_until && k.row.verify_until.getTime() <= Date.now())
      return { ok: false, reason: 'expired' };
    return { ok: true, key: k.publicKey };
  }

  /** The JWKS: every key that still verifies. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    const now = Date.now();
    return {
      keys: [...this.keys.values()]
        .filter((k) => !k.row.revoked_at && (!k.row.verify_until || k.row.verify_until.getTime() > now))
        .map((k) => k.row.public_jwk),
    };
  }

  async list(): Promise<SigningKeyInfo[]> {
    await this.load();
    const now = Date.now();
    return [...this.keys.values()].map(({ row }) => ({
      kid: row.kid,
      alg: 'ES256' as const,
      createdAt: row.created_at.toISOString(),
      retiredAt: row.retired_at?.toISOString() ?? null,
      verifyUntil: row.verify_until?.toISOString() ?? null,
      revokedAt: row.revoked_at?.toISOString() ?? null,
      status: row.revoked_at
        ? ('revoked' as const)
        : !row.retired_at
          ? ('active' as const)
          : row.verify_until && row.verify_until.getTime() > now
            ? ('verifying' as const)
            : ('expired' as const),
    }));
  }

  /**
   * A new key signs from now on; the previous one verifies until its tokens expire.
   * With `ifOlderThanMs`, rotates only when the active key is at least that old (the
   * schedule: several replicas may ask at once, the advisory lock lets one do it).
   */
  async rotate(
    reason: string,
    ifOlderThanMs?: number,
  ): Promise<{ rotated: boolean; kid?: string; previous?: string }> {
    const out = await this.inLock(async (c) => {
      const cur = await c.query<{ kid: string; created_at: Date }>(
        `SELECT kid, created_at FROM auth_signing_keys WHERE retired_at IS NULL AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1`,
      );
      const previous = cur.rows[0];
      if (
        ifOlderThanMs !== undefined &&
        previous &&
        Date.now() - previous.created_at.getTime() < ifOlderThanMs
      )
        return { rotated: false };
      await c.query(
        `UPDATE auth_signing_keys SET retired_at = now(), verify_until = now() + make_interval(secs => $1)
          WHERE retired_at IS NULL`,
        [this.o.tokenTtlSeconds + VERIFY_GRACE_SECONDS],
      );
      const kid = await this.newKeyRow(c);
      return { rotated: true, kid, previous: previous?.kid };
    });
    if (out.rotated)
      this.o.log.info(
        { kid: out.kid, previous: out.previous, reason },
        'rotated the access-token signing key',
      );
    await this.load();
    return out;
  }

  /** Revoke a key: tokens signed with it are refused from now on. Revoking the active key rotates. */
  async revoke(kid: string, reason: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE auth_signing_keys SET revoked_at = now(), revoked_reason = $2, retired_at = coalesce(retired_at, now())
        WHERE kid = $1 AND revoked_at IS NULL`,
      [kid, reason],
    );
    if (!r.rowCount) return false;
    this.o.log.warn({ kid, reason }, 'revoked an access-token signing key');
    await this.load();
    if (!this.current) await this.rotate(`key ${kid} revoked`);
    return true;
  }

  /** Rotate on schedule (checked every 10 minutes, at most one replica rotates). */
  startSchedule(): void {
    const hours = this.o.rotationHours;
    if (hours <= 0) return;
    this.timer = setInterval(() => {
      this.rotate('scheduled', hours * 3_600_000).catch((err: Error) =>
        this.o.log.warn({ err: { message: err.message } }, 'scheduled signing-key rotation failed'),
      );
    }, 600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
