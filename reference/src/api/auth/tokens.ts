// Access tokens: JWTs signed ES256 with the deployment's current key (header kid, typ
// at+jwt), minted from a session at POST /auth/token. Verification accepts ES256 only, so
// `alg: none` and an HS256 token "signed" with the public key are refused before any key
// is used; issuer, audience, exp and nbf are checked (5 s tolerance), and the key must be
// known, not revoked and not past its verification window.
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { SigningKeys } from './signing-keys.js';

export const TOKEN_AUDIENCE = 'aigos-api';
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessClaims extends JWTPayload {
  sub: string;
  org: string;
  sid: string;
  role: string;
  email?: string;
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
export const looksLikeJwt = (token: string): boolean => JWT_SHAPE.test(token) && !token.startsWith('aigos_');

export class AccessTokens {
  constructor(
    private readonly keys: SigningKeys,
    readonly o: { issuer: string; ttlSeconds: number },
  ) {}

  async issue(c: {
    userId: string;
    orgId: string;
    sessionId: string;
    role: string;
    email?: string;
  }): Promise<{
    token: string;
    expiresIn: number;
    kid: string;
  }> {
    const { kid, privateKey } = await this.keys.signingKey();
    const token = await new SignJWT({
      org: c.orgId,
      sid: c.sessionId,
      role: c.role,
      ...(c.email ? { email: c.email } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer(this.o.issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(c.userId)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${this.o.ttlSeconds}s`)
      .setJti(randomUUID())
      .sign(privateKey);
    return { token, expiresIn: this.o.ttlSeconds, kid };
  }

  /** Verified claims, or TokenError saying why the token is refused. */
  async verify(token: string): Promise<AccessClaims> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenError('the access token is malformed');
    }
    if (header.alg !== 'ES256')
      throw new TokenError(
        `the access token's algorithm ${JSON.stringify(header.alg ?? null)} is not accepted (ES256 only)`,
      );
    const lookup = await this.keys.verificationKey(typeof header.kid === 'string' ? header.kid : undefined);
    if (!lookup.ok) {
      throw new TokenError(
        lookup.reason === 'revoked'
          ? 'the access token was signed with a revoked key'
          : lookup.reason === 'expired'
            ? 'the access token was signed with a retired key that no longer verifies'
            : `the access token's signing key ${JSON.stringify(header.kid ?? null)} is unknown`,
      );
    }
    try {
      const { payload } = await jwtVerify(token, lookup.key, {
        algorithms: ['ES256'],
        issuer: this.o.issuer,
        audience: TOKEN_AUDIENCE,
        typ: 'at+jwt',
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub', 'nbf'],
      });
      for (const claim of ['org', 'sid'] as const)
        if (typeof payload[claim] !== 'string')
          throw new TokenError(`the access token has no ${claim} claim`);
      return payload as AccessClaims;
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof errors.JWTExpired) throw new TokenError('the access token has expired');
      if (err instanceof errors.JWTClaimValidationFailed) {
        if (err.claim === 'nbf') throw new TokenError('the access token is not yet valid (nbf)');
        if (err.claim === 'iat') throw new TokenError('the access token was issued in the future (iat)');
        if (err.claim === 'iss')
          throw new TokenError('the access token was not issued by this deployment (iss)');
        if (err.claim === 'aud') throw new TokenError('the access token is not meant for this API (aud)');
        throw new TokenError(`the access token's ${err.claim} claim is invalid`);
      }
      if (err instanceof errors.JWSSignatureVerificationFailed)
        throw new TokenError('the access token signature is invalid');
      if (err instanceof errors.JOSEAlgNotAllowed)
        throw new TokenError('the access token algorithm is not accepted');
      throw new TokenError(`the access token is invalid (${(err as Error).message})`);
    }
  }
}
