-- Up Migration
-- Authentication (issue 5): the signing keys of the access tokens and the links between
-- users and their single sign-on identities. Sessions, login failures and lockouts, the
-- OIDC state and the SAML request/assertion ids live in Redis (they expire by themselves).
--
-- Both tables belong to the identity directory (no row-level security, like users and
-- memberships): they are read before any organization is chosen.

-- ---- access-token signing keys -------------------------------------------------------
-- ES256 key pairs generated per deployment. Every api replica reads them from here, so a
-- token signed by one replica verifies on all. The private key is stored encrypted
-- (AES-256-GCM under a key derived from JWT_SECRET with HKDF); the public key is the JWK
-- published at /auth/jwks.json. One key signs (the newest not retired); after a rotation
-- the previous key still verifies until verify_until (its last token's expiry); a revoked
-- key verifies nothing.
CREATE TABLE auth_signing_keys (
  kid          text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
  alg          text NOT NULL DEFAULT 'ES256' CHECK (alg = 'ES256'),
  public_jwk   jsonb NOT NULL,
  private_enc  bytea NOT NULL,          -- iv (12) | tag (16) | ciphertext of the PKCS#8 DER
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz,             -- stopped signing (rotated out)
  verify_until timestamptz,             -- set at retirement: retired_at + token lifetime + skew
  revoked_at   timestamptz,
  revoked_reason text
);
CREATE INDEX auth_signing_keys_active ON auth_signing_keys (created_at DESC) WHERE retired_at IS NULL AND revoked_at IS NULL;

-- ---- single sign-on identities -------------------------------------------------------
-- A user signed in through an identity provider is found by (issuer, subject) first; the
-- e-mail links a first login to an existing user only inside the organization whose
-- verified domain matches it.
CREATE TABLE user_identities (
  issuer          text NOT NULL,        -- OIDC issuer or SAML IdP entity id
  subject         text NOT NULL,        -- the mapped `id` attribute (oid, sub, uid, NameID)
  user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  provider        text NOT NULL,        -- the configured provider name
  protocol        text NOT NULL CHECK (protocol IN ('oidc', 'saml')),
  email           text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_login_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- When the password was last set (the forced change at first login records it).
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
