-- Up Migration
-- The common case of event ingest in one statement (one round trip): every event is new
-- and continues its asset's previousHash chain. aigos_append_events takes the same locks
-- as the general path (api/events/store.ts), checks exactly that, and appends the events
-- and the per-asset summary. When the check fails (an id already stored, a chain break)
-- it writes nothing and returns no rows; the caller then runs the general path, which
-- classifies every event (duplicate, conflict, break) and records breaks. Nothing here
-- updates or deletes an event.
--
-- Called as a single statement outside an explicit transaction: its transaction ends
-- when it returns, so the locks are held from before the checks until the commit.
--
-- Plans: PL/pgSQL caches a plan per statement and connection, and after a few calls a
-- generic one. For the check, which reads the tables, a generic plan made while they
-- were small (a fresh deployment's first pushes) scans every row of the organization
-- once they have grown, until the next ANALYZE: the check is therefore planned on every
-- call (EXECUTE) for the arrays given and the tables as they are. The writes read no
-- table (rows come from the arrays; conflicts are found through the unique indexes), so
-- their cached plans stay right whatever the tables hold.

CREATE FUNCTION aigos_append_events(
  p_org           uuid,
  p_ids           text[],
  p_types         text[],
  p_categories    text[],
  p_criticalities text[],
  p_assets        text[],
  p_produced      timestamptz[],
  p_hashes        text[],
  p_previous      text[],
  p_events        text[]
) RETURNS TABLE (id text, received_at text)
  LANGUAGE plpgsql VOLATILE
  AS $$
#variable_conflict use_column
DECLARE
  org     text := p_org::text;
  n       integer := cardinality(p_ids);
  added   integer;
  refused boolean;
BEGIN
  -- the organization of the transaction (row-level security)
  PERFORM set_config('app.org_id', org, true);
  -- as the general path: the organization shared (a checkpoint takes it exclusively),
  -- then one lock per asset in a fixed order
  PERFORM pg_advisory_xact_lock_shared(1, hashtext(org));
  PERFORM count(pg_advisory_xact_lock(2, k))
     FROM (SELECT DISTINCT hashtext(org || ':' || a) AS k FROM unnest(p_assets) a ORDER BY 1) s;

  -- Each statement below has its own snapshot, taken after the locks were granted.
  -- Refused: an id already stored, or a previousHash that does not name the event before
  -- it on its asset (the previous one of the same asset in this call, else the stored head).
  EXECUTE $check$
    SELECT EXISTS (SELECT 1 FROM governance_events e WHERE e.organization_id = $1 AND e.id = ANY ($2))
        OR EXISTS (
             SELECT 1
               FROM (SELECT u.prev,
                            coalesce(lag(u.hash) OVER (PARTITION BY u.asset ORDER BY u.ord), h.head_hash) AS expected
                       FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(asset, hash, prev, ord)
                       LEFT JOIN governance_event_assets h
                         ON h.organization_id = $1 AND h.asset_id = u.asset) c
              WHERE c.prev IS NOT NULL AND c.prev IS DISTINCT FROM c.expected)
  $check$ INTO refused USING p_org, p_ids, p_assets, p_hashes, p_previous;
  IF refused THEN
    RETURN;
  END IF;

  RETURN QUERY
  WITH ins AS (
    INSERT INTO governance_events AS g
      (organization_id, id, type, category, criticality, asset_id, produced_at, hash, previous_hash,
       chain_status, origin, event)
    SELECT p_org, u.id, u.type, u.category, u.criticality, u.asset, u.produced, u.hash, u.prev,
           CASE WHEN u.prev IS NULL THEN 'none' ELSE 'linked' END, 'producer', u.event::jsonb
      FROM unnest(p_ids, p_types, p_categories, p_criticalities, p_assets, p_produced, p_hashes,
                  p_previous, p_events)
           WITH ORDINALITY AS u(id, type, category, criticality, asset, produced, hash, prev, event, ord)
     ORDER BY u.ord
    ON CONFLICT (organization_id, id) DO NOTHING
    RETURNING g.id, g.received_at
  )
  SELECT ins.id, to_char(ins.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM ins;
  GET DIAGNOSTICS added = ROW_COUNT;
  IF added <> n THEN
    -- a concurrent request stored one of these ids (under another asset's lock) after
    -- the check: undo everything; the caller's general path settles it
    RAISE EXCEPTION 'aigos_append_events: % of % events appended', added, n
      USING ERRCODE = 'serialization_failure';
  END IF;

  -- per asset: count, latest producedAt and its type (the later event wins a tie), chain head
  INSERT INTO governance_event_assets AS a
    (organization_id, asset_id, event_count, last_event_at, latest_type, head_hash)
  SELECT p_org, s.asset, s.n, s.last_at, s.latest_type, s.head
    FROM (SELECT u.asset,
                 count(*) AS n,
                 max(u.produced) AS last_at,
                 (array_agg(u.type ORDER BY u.produced DESC, u.ord DESC))[1] AS latest_type,
                 (array_agg(u.hash ORDER BY u.ord DESC))[1] AS head
            FROM unnest(p_assets, p_types, p_produced, p_hashes) WITH ORDINALITY AS u(asset, type, produced, hash, ord)
           GROUP BY u.asset
           ORDER BY u.asset) s
  ON CONFLICT (organization_id, asset_id) DO UPDATE SET
    event_count   = a.event_count + excluded.event_count,
    latest_type   = CASE WHEN excluded.last_event_at >= a.last_event_at THEN excluded.latest_type ELSE a.latest_type END,
    last_event_at = greatest(a.last_event_at, excluded.last_event_at),
    head_hash     = excluded.head_hash;
END
$$;
