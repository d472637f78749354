-- Up Migration
-- Certificate authority (reference/src/ca): the CGA certificates it issued, the public
-- status of each serial (OCSP and CRL read it), and the CRL it last published.
--
-- Tenancy: certificates carry organization_id and have row-level security ENABLED and
-- FORCED like the api's tables (aigos_current_org(), set by withOrg). OCSP and the CRL
-- are public and cross-organization by nature (a relying party asks by serial, with no
-- organization), so they read certificate_status instead: one row per serial holding
-- only what OCSP and the CRL publish anyway (serial, status, revocation time and reason,
-- expiry) and nothing identifying the organization or the agent. A trigger on
-- certificates keeps it in step, so no code path writes it directly.

CREATE TABLE certificates (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id   uuid NOT NULL REFERENCES organizations(id) ON DELETE RESTRICT,
  asset_id          text NOT NULL CHECK (asset_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{1,127}$'),  -- the asset card id
  serial            text NOT NULL UNIQUE CHECK (serial ~ '^[0-9a-f]{2,80}$'),
  subject           text NOT NULL,
  governance_level  text NOT NULL CHECK (governance_level IN ('BRONZE', 'SILVER', 'GOLD', 'PLATINUM')),
  compliance_score  numeric(5, 2),
  key_type          text NOT NULL,
  request_kind      text NOT NULL CHECK (request_kind IN ('csr', 'descriptor')),
  not_before        timestamptz NOT NULL,
  not_after         timestamptz NOT NULL,
  pem               text NOT NULL,
  fingerprint_sha256 text NOT NULL CHECK (fingerprint_sha256 ~ '^[0-9a-f]{64}$'),
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  issued_by         text,
  issued_at         timestamptz NOT NULL DEFAULT now(),
  revoked_at        timestamptz,
  revocation_reason text CHECK (revocation_reason IN ('unspecified', 'keyCompromise', 'cACompromise',
                      'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'aACompromise')),
  revoked_by        text,
  CHECK (not_after > not_before),
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL))
);
CREATE INDEX certificates_org ON certificates (organization_id, issued_at DESC, id DESC);
CREATE INDEX certificates_asset ON certificates (organization_id, asset_id, issued_at DESC);

ALTER TABLE certificates ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificates FORCE ROW LEVEL SECURITY;
CREATE POLICY certificates_tenant ON certificates
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());

-- Public status by serial. No RLS: everything here is published by OCSP and the CRL.
CREATE TABLE certificate_status (
  serial            text PRIMARY KEY,
  status            text NOT NULL CHECK (status IN ('active', 'revoked')),
  not_after         timestamptz NOT NULL,
  revoked_at        timestamptz,
  revocation_reason text
);
CREATE INDEX certificate_status_revoked ON certificate_status (revoked_at) WHERE status = 'revoked';

CREATE FUNCTION certificates_mirror_status() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.serial <> OLD.serial THEN
    RAISE EXCEPTION 'a certificate serial never changes';
  END IF;
  INSERT INTO certificate_status (serial, status, not_after, revoked_at, revocation_reason)
       VALUES (NEW.serial, NEW.status, NEW.not_after, NEW.revoked_at, NEW.revocation_reason)
  ON CONFLICT (serial) DO UPDATE
         SET status = EXCLUDED.status, not_after = EXCLUDED.not_after,
             revoked_at = EXCLUDED.revoked_at, revocation_reason = EXCLUDED.revocation_reason;
  RETURN NEW;
END
$$;
CREATE TRIGGER certificates_mirror_status AFTER INSERT OR UPDATE ON certificates
  FOR EACH ROW EXECUTE FUNCTION certificates_mirror_status();

-- A revocation is final: nothing turns a revoked certificate back into an active one,
-- and certificates are never deleted (they are evidence).
CREATE FUNCTION certificates_refuse_unrevoke() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'certificates are never deleted; revoke instead';
  END IF;
  IF OLD.status = 'revoked' AND (NEW.status <> 'revoked' OR NEW.revoked_at <> OLD.revoked_at
      OR NEW.revocation_reason <> OLD.revocation_reason) THEN
    RAISE EXCEPTION 'a revoked certificate stays revoked';
  END IF;
  IF NEW.pem <> OLD.pem OR NEW.not_after <> OLD.not_after OR NEW.not_before <> OLD.not_before
      OR NEW.organization_id <> OLD.organization_id OR NEW.asset_id <> OLD.asset_id THEN
    RAISE EXCEPTION 'an issued certificate is immutable';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER certificates_refuse_unrevoke BEFORE UPDATE OR DELETE ON certificates
  FOR EACH ROW EXECUTE FUNCTION certificates_refuse_unrevoke();

-- The CRL last published: one row. crl_number grows by one per issuance (RFC 5280
-- §5.2.3); every replica serves this copy, so the number never goes backwards.
CREATE TABLE crl_state (
  id           boolean PRIMARY KEY DEFAULT true CHECK (id),
  crl_number   bigint NOT NULL CHECK (crl_number > 0),
  issuer_key_id text NOT NULL,
  this_update  timestamptz NOT NULL,
  next_update  timestamptz NOT NULL,
  der          bytea NOT NULL
);
