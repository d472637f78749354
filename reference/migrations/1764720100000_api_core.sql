-- Up Migration
-- Business core of the api service: API keys, asset cards, policy packs, compliance
-- results and their history, evidence, reports, and the hash-chained audit trail.
--
-- Tenancy model (reference/src/common/tenancy.ts):
--  * organizations, organization_domains, users and memberships are the identity
--    directory. They stay without row-level security: login, SSO domain routing and the
--    operator commands (org create, user create) read them before any organization is
--    chosen, and one user may belong to several organizations. Queries on them always
--    name the organization (memberships) or the user explicitly.
--  * Every table created here carries organization_id and has row-level security
--    ENABLED and FORCED (the application role owns these tables, and an owner bypasses
--    RLS unless it is forced). A row is visible and writable only inside a transaction
--    whose app.org_id (set with set_config(..., true) by withOrg) names its organization.
--    Without app.org_id nothing is visible. Superusers bypass RLS (tests use that to
--    simulate tampering).

-- The organization of the current transaction; NULL when none is set (an unset custom
-- setting reads as '' once it has been used on a pooled connection, hence NULLIF).
CREATE FUNCTION aigos_current_org() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;

-- ---- API keys ------------------------------------------------------------------------
-- Only SHA-256 of the secret is stored: the secret is 256 random bits, so a fast hash is
-- as strong as a slow one against guessing and keeps per-request verification cheap.
CREATE TABLE api_keys (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id         uuid REFERENCES users(id) ON DELETE CASCADE,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix          text NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{12}$'),
  secret_hash     bytea NOT NULL CHECK (length(secret_hash) = 32),
  role            text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  scopes          text[] NOT NULL,
  expires_at      timestamptz,
  revoked_at      timestamptz,
  last_used_at    timestamptz,
  created_by      text,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_org ON api_keys (organization_id, created_at DESC, id DESC);

-- Authentication happens before the organization is known: the key's prefix selects its
-- row. The lookup policy below shows a row only to the transaction that named its exact
-- prefix, and only for reading; the secret still has to match the stored hash.
CREATE FUNCTION api_key_lookup(p_prefix text)
  RETURNS TABLE (
    id uuid, organization_id uuid, user_id uuid, name text, prefix text, secret_hash bytea,
    role text, scopes text[], expires_at timestamptz, revoked_at timestamptz,
    last_used_at timestamptz, org_slug text, org_name text, org_plan text,
    user_email text, user_name text, user_disabled boolean, member_role text
  )
  LANGUAGE plpgsql VOLATILE
  AS $$
BEGIN
  PERFORM set_config('app.api_key_prefix', p_prefix, true);
  RETURN QUERY
    SELECT k.id, k.organization_id, k.user_id, k.name, k.prefix, k.secret_hash, k.role, k.scopes,
           k.expires_at, k.revoked_at, k.last_used_at, o.slug, o.name, o.plan,
           u.email, u.name, u.disabled, m.role
      FROM api_keys k
      JOIN organizations o ON o.id = k.organization_id
      LEFT JOIN users u ON u.id = k.user_id
      LEFT JOIN memberships m ON m.organization_id = k.organization_id AND m.user_id = k.user_id
     WHERE k.prefix = p_prefix;
  PERFORM set_config('app.api_key_prefix', '', true);
END
$$;

-- ---- asset cards ---------------------------------------------------------------------
CREATE TABLE asset_cards (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id   uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  card_id           text NOT NULL CHECK (card_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{1,127}$'),
  status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'registered', 'retired')),
  revision          integer NOT NULL DEFAULT 1 CHECK (revision > 0),
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description       text,
  owner_email       text,
  tech_type         text NOT NULL,
  risk_level        text NOT NULL CHECK (risk_level IN ('minimal', 'limited', 'high', 'unacceptable')),
  governance_status text NOT NULL,
  jurisdictions     text[] NOT NULL DEFAULT '{}',
  card              jsonb NOT NULL,
  search            tsvector GENERATED ALWAYS AS (
                      to_tsvector('simple'::regconfig,
                        name || ' ' || coalesce(description, '') || ' ' || card_id || ' ' || coalesce(owner_email, ''))
                    ) STORED,
  created_by        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  registered_at     timestamptz,
  retired_at        timestamptz,
  UNIQUE (organization_id, card_id),
  UNIQUE (organization_id, id)
);
CREATE INDEX asset_cards_created ON asset_cards (organization_id, created_at DESC, id DESC);
CREATE INDEX asset_cards_updated ON asset_cards (organization_id, updated_at DESC, id DESC);
CREATE INDEX asset_cards_name ON asset_cards (organization_id, name, id);
CREATE INDEX asset_cards_search ON asset_cards USING gin (search);
CREATE INDEX asset_cards_jurisdictions ON asset_cards USING gin (jurisdictions);

-- ---- policy packs --------------------------------------------------------------------
-- A version of a pack is immutable; importing a new version activates it in place of
-- the previous one. At most one version of a pack is active per organization.
CREATE TABLE policy_packs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  pack_id         text NOT NULL CHECK (pack_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  version         text NOT NULL CHECK (length(version) BETWEEN 1 AND 50),
  name            text NOT NULL,
  source          text NOT NULL CHECK (source IN ('built-in', 'custom')),
  definition      jsonb NOT NULL,
  digest          text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  control_count   integer NOT NULL,
  active          boolean NOT NULL DEFAULT false,
  imported_by     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  activated_at    timestamptz,
  UNIQUE (organization_id, pack_id, version)
);
CREATE UNIQUE INDEX policy_packs_one_active ON policy_packs (organization_id, pack_id) WHERE active;

-- ---- evidence ------------------------------------------------------------------------
CREATE TABLE evidence (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  asset_id        uuid NOT NULL,
  kind            text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]{1,62}$'),
  pack_id         text,
  control_id      text,
  filename        text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  content_type    text NOT NULL,
  size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
  sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  object_key      text NOT NULL UNIQUE,
  description     text,
  uploaded_by     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((pack_id IS NULL) = (control_id IS NULL)),
  -- the asset must belong to the same organization (not only exist)
  FOREIGN KEY (organization_id, asset_id) REFERENCES asset_cards (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX evidence_asset ON evidence (organization_id, asset_id, created_at DESC);

-- ---- compliance ----------------------------------------------------------------------
CREATE TABLE asset_compliance (
  asset_id        uuid PRIMARY KEY,
  organization_id uuid NOT NULL,
  score           numeric(5, 2),          -- NULL: no control of an active pack applies
  passed          integer NOT NULL,
  failed          integer NOT NULL,
  gaps            integer NOT NULL,
  not_applicable  integer NOT NULL,
  -- compact per-control outcomes [[packId, controlId, p|f|g|n, reason?], ...]
  results         jsonb NOT NULL,
  results_digest  text NOT NULL,          -- unchanged results are not rewritten
  evaluated_at    timestamptz NOT NULL DEFAULT now(),   -- when these results were produced
  FOREIGN KEY (organization_id, asset_id) REFERENCES asset_cards (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX asset_compliance_org ON asset_compliance (organization_id);

-- Trend data: one row whenever an asset's or the organization's score changes.
CREATE TABLE compliance_history (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  asset_id        uuid,                   -- NULL: the organization's score
  score           numeric(5, 2),
  passed          integer NOT NULL,
  failed          integer NOT NULL,
  gaps            integer NOT NULL,
  assets          integer,                -- organization rows: assets counted in the score
  trigger         text NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX compliance_history_org ON compliance_history (organization_id, recorded_at DESC) WHERE asset_id IS NULL;
CREATE INDEX compliance_history_asset ON compliance_history (organization_id, asset_id, recorded_at DESC) WHERE asset_id IS NOT NULL;

-- ---- reports -------------------------------------------------------------------------
CREATE TABLE compliance_reports (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  format          text NOT NULL CHECK (format IN ('json', 'html')),
  object_key      text NOT NULL UNIQUE,
  content_type    text NOT NULL,
  size_bytes      bigint NOT NULL,
  sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  org_score       numeric(5, 2),
  asset_count     integer NOT NULL,
  created_by      text,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX compliance_reports_org ON compliance_reports (organization_id, created_at DESC, id DESC);

-- ---- audit trail ---------------------------------------------------------------------
-- Append-only and hash-chained per organization (reference/src/common/audit.ts):
-- hash = sha256(canonical JSON of the entry's fields and prev_hash). The application
-- role can neither UPDATE, DELETE nor TRUNCATE it: the privileges are revoked from the
-- owner and a trigger refuses the statements even if they are granted back. An
-- organization with audit entries cannot be deleted (no cascade).
CREATE TABLE audit_log (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  seq             bigint NOT NULL CHECK (seq > 0),
  occurred_at     timestamptz NOT NULL,
  actor_type      text NOT NULL CHECK (actor_type IN ('user', 'api-key', 'system', 'operator')),
  actor_id        text,
  actor_label     text,
  action          text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.:-]{1,99}$'),
  target_type     text NOT NULL CHECK (length(target_type) BETWEEN 1 AND 100),
  target_id       text,
  source_address  text,
  request_id      text,
  before_digest   text CHECK (before_digest ~ '^[0-9a-f]{64}$'),
  after_digest    text CHECK (after_digest ~ '^[0-9a-f]{64}$'),
  prev_hash       text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash            text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  UNIQUE (organization_id, seq)
);
CREATE INDEX audit_log_action ON audit_log (organization_id, action, seq DESC);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- ---- row-level security --------------------------------------------------------------
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_tenant ON api_keys
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());
CREATE POLICY api_keys_lookup ON api_keys FOR SELECT
  USING (prefix = NULLIF(current_setting('app.api_key_prefix', true), ''));

ALTER TABLE asset_cards ENABLE ROW LEVEL SECURITY;
ALTER TABLE asset_cards FORCE ROW LEVEL SECURITY;
CREATE POLICY asset_cards_tenant ON asset_cards
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());

ALTER TABLE policy_packs ENABLE ROW LEVEL SECURITY;
ALTER TABLE policy_packs FORCE ROW LEVEL SECURITY;
CREATE POLICY policy_packs_tenant ON policy_packs
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());

ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence FORCE ROW LEVEL SECURITY;
CREATE POLICY evidence_tenant ON evidence
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());

ALTER TABLE asset_compliance ENABLE ROW LEVEL SECURITY;
ALTER TABLE asset_compliance FORCE ROW LEVEL SECURITY;
CREATE POLICY asset_compliance_tenant ON asset_compliance
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());

ALTER TABLE compliance_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_history FORCE ROW LEVEL SECURITY;
CREATE POLICY compliance_history_tenant ON compliance_history
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());

ALTER TABLE compliance_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY compliance_reports_tenant ON compliance_reports
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());

-- the audit trail: read and append only (no UPDATE/DELETE policy exists at all)
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON audit_log FOR SELECT
  USING (organization_id = aigos_current_org());
CREATE POLICY audit_log_append ON audit_log FOR INSERT
  WITH CHECK (organization_id = aigos_current_org());
