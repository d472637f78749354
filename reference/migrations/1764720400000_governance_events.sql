-- Up Migration
-- Governance events of the upstream AIGRC clients (contracts.md §3), their per-asset
-- summary (asset list and the previousHash chain head) and the Merkle integrity
-- checkpoints. Events and checkpoints are append-only: the application role may not
-- UPDATE, DELETE or TRUNCATE them (privileges revoked, and a trigger refuses it for any
-- role that still could). Rows are visible only to the organization set for the
-- transaction (row-level security, forced for the owning role too).

CREATE TABLE governance_events (
  seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- receive order
  organization_id uuid NOT NULL REFERENCES organizations(id),
  id              text NOT NULL CHECK (id ~ '^evt_[0-9a-f]{32}$'),
  type            text NOT NULL,
  category        text NOT NULL,
  criticality     text NOT NULL CHECK (criticality IN ('normal', 'high', 'critical')),
  asset_id        text NOT NULL,
  produced_at     timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  hash            text NOT NULL CHECK (hash ~ '^sha256:[0-9a-f]{64}$'),
  previous_hash   text,
  -- previousHash continuity per asset: none (no previousHash), linked, broken
  chain_status    text NOT NULL DEFAULT 'none' CHECK (chain_status IN ('none', 'linked', 'broken')),
  -- producer = pushed by a client; server = written by the control plane (e.g. chain.broken)
  origin          text NOT NULL DEFAULT 'producer' CHECK (origin IN ('producer', 'server')),
  event           jsonb NOT NULL,    -- the event as received, without receivedAt
  UNIQUE (organization_id, id)
);
CREATE INDEX governance_events_org_produced ON governance_events (organization_id, produced_at DESC, seq DESC);
CREATE INDEX governance_events_org_asset ON governance_events (organization_id, asset_id, produced_at DESC, seq DESC);
CREATE INDEX governance_events_org_seq ON governance_events (organization_id, seq);

CREATE TABLE governance_event_assets (
  organization_id uuid NOT NULL REFERENCES organizations(id),
  asset_id        text NOT NULL,
  event_count     bigint NOT NULL,
  last_event_at   timestamptz NOT NULL,   -- latest producedAt
  latest_type     text NOT NULL,          -- type of the event with the latest producedAt
  head_hash       text,                   -- hash of the last producer event received (chain head)
  PRIMARY KEY (organization_id, asset_id)
);
CREATE INDEX governance_event_assets_recent ON governance_event_assets (organization_id, last_event_at DESC);

CREATE TABLE integrity_checkpoints (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  from_seq        bigint NOT NULL,        -- exclusive
  to_seq          bigint NOT NULL,        -- inclusive
  event_count     integer NOT NULL CHECK (event_count > 0),
  first_event_id  text NOT NULL,
  last_event_id   text NOT NULL,
  merkle_root     text NOT NULL CHECK (merkle_root ~ '^sha256:[0-9a-f]{64}$'),
  previous_root   text,                   -- root of the organization's previous checkpoint
  trigger         text NOT NULL CHECK (trigger IN ('periodic', 'on-demand')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, to_seq),
  CHECK (to_seq > from_seq)
);
CREATE INDEX integrity_checkpoints_org ON integrity_checkpoints (organization_id, to_seq DESC);

-- append-only, whatever the role
CREATE FUNCTION aigos_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER governance_events_append_only BEFORE UPDATE OR DELETE ON governance_events
  FOR EACH ROW EXECUTE FUNCTION aigos_refuse_change();
CREATE TRIGGER governance_events_no_truncate BEFORE TRUNCATE ON governance_events
  FOR EACH STATEMENT EXECUTE FUNCTION aigos_refuse_change();
CREATE TRIGGER integrity_checkpoints_append_only BEFORE UPDATE OR DELETE ON integrity_checkpoints
  FOR EACH ROW EXECUTE FUNCTION aigos_refuse_change();
CREATE TRIGGER integrity_checkpoints_no_truncate BEFORE TRUNCATE ON integrity_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION aigos_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON governance_events, integrity_checkpoints FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON governance_events, integrity_checkpoints FROM CURRENT_USER;

-- tenancy: only the organization of the transaction (withOrg sets app.org_id; see common/tenancy.ts)
ALTER TABLE governance_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE governance_events FORCE ROW LEVEL SECURITY;
CREATE POLICY governance_events_org ON governance_events
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());
ALTER TABLE governance_event_assets ENABLE ROW LEVEL SECURITY;
ALTER TABLE governance_event_assets FORCE ROW LEVEL SECURITY;
CREATE POLICY governance_event_assets_org ON governance_event_assets
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());
ALTER TABLE integrity_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE integrity_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY integrity_checkpoints_org ON integrity_checkpoints
  USING (organization_id = aigos_current_org())
  WITH CHECK (organization_id = aigos_current_org());
