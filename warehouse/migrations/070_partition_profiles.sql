-- Partition profiles (docs/DRIFT.md, "Profiles"): when a daily partition closes, one scan per feature
-- set computes a mergeable summary of every feature (src/shared/drift/feature-profile.ts), stored
-- here; a drift check reads the histogram over its model's bins from the profiles of the closed
-- partitions its window covers instead of rescanning their rows.
-- Idempotent: safe to run again.

-- Write counters per feature set and UTC hour of event time, kept by statement-level triggers on
-- feature_values (below), whoever writes: the page writer, SQL backfills, tests. A profile records
-- the counters it saw; when they have moved since, the profile is stale. Counters only grow, so a
-- write that commits after a profile's snapshot always shows, whatever the commit order.
CREATE TABLE IF NOT EXISTS features.feature_writes (
  feature_set  text        NOT NULL,
  hour         timestamptz NOT NULL,
  writes       bigint      NOT NULL,
  PRIMARY KEY (feature_set, hour)
);

-- One row per feature set and profiled partition (bounds + the partition's oid: a partition dropped
-- by retention and created again with the same bounds does not inherit the old profile).
CREATE TABLE IF NOT EXISTS features.partition_profile_sets (
  feature_set    text        NOT NULL,
  range_start    timestamptz NOT NULL,
  range_end      timestamptz NOT NULL,
  partition_oid  oid         NOT NULL,
  rows           bigint      NOT NULL,
  -- keys beyond FEATURE_CAP were not profiled (checks over them scan)
  truncated      boolean     NOT NULL DEFAULT false,
  -- sum of feature_writes over the partition's hours in the scan's snapshot
  writes_seen    bigint      NOT NULL,
  -- set by the write triggers when a row of this feature set lands in the partition after profiling
  stale          boolean     NOT NULL DEFAULT false,
  computed_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (feature_set, range_start, range_end)
);

-- The summary of one feature in one partition: { numbers: { n, min, max, values+counts | sketch },
-- texts, levels, overflow } (FeatureProfile). Deleted with its set row.
CREATE TABLE IF NOT EXISTS features.partition_profiles (
  feature_set  text        NOT NULL,
  range_start  timestamptz NOT NULL,
  range_end    timestamptz NOT NULL,
  feature      text        NOT NULL,
  profile      jsonb       NOT NULL,
  PRIMARY KEY (feature_set, range_start, range_end, feature),
  FOREIGN KEY (feature_set, range_start, range_end) REFERENCES features.partition_profile_sets ON DELETE CASCADE
);

-- The triggers: one INSERT … ON CONFLICT per statement and hour touched (a page of 5,000 rows of one
-- day touches a few hours), plus marking the profiles of closed partitions it wrote into as stale.
-- Measured by bench/fleet.bench.ts (ingest with profiles on vs off).
CREATE OR REPLACE FUNCTION features.count_feature_writes()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  WITH touched AS (
    SELECT feature_set, date_trunc('hour', event_time, 'UTC') AS hour, count(*) AS n
      FROM changed_rows GROUP BY 1, 2
  ), counted AS (
    -- in key order, so two writers never lock the same counters in opposite orders
    INSERT INTO features.feature_writes AS w (feature_set, hour, writes)
    SELECT feature_set, hour, n FROM touched ORDER BY 1, 2
    ON CONFLICT (feature_set, hour) DO UPDATE SET writes = w.writes + EXCLUDED.writes
  )
  UPDATE features.partition_profile_sets s SET stale = true
    FROM (SELECT DISTINCT feature_set, hour FROM touched) t
   WHERE s.feature_set = t.feature_set AND t.hour >= s.range_start AND t.hour < s.range_end AND NOT s.stale;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS feature_values_count_inserts ON features.feature_values;
DROP TRIGGER IF EXISTS feature_values_count_updates ON features.feature_values;
DROP TRIGGER IF EXISTS feature_values_count_deletes ON features.feature_values;
CREATE TRIGGER feature_values_count_inserts AFTER INSERT ON features.feature_values
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION features.count_feature_writes();
-- an update is counted at its new event time (updates of event_time, a key column, are not made)
CREATE TRIGGER feature_values_count_updates AFTER UPDATE ON features.feature_values
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION features.count_feature_writes();
CREATE TRIGGER feature_values_count_deletes AFTER DELETE ON features.feature_values
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION features.count_feature_writes();

-- Rows written before this migration: one count per feature set and hour (a scan of the store, once).
INSERT INTO features.feature_writes (feature_set, hour, writes)
SELECT feature_set, date_trunc('hour', event_time, 'UTC'), count(*) FROM features.feature_values GROUP BY 1, 2
ON CONFLICT (feature_set, hour) DO NOTHING;

-- Closed partitions (range ended more than p_open_days days ago, as for the GIN index) and the
-- feature sets written into them whose profile is missing, stale, or older than their counters.
CREATE OR REPLACE FUNCTION features.partitions_to_profile(p_open_days integer)
RETURNS TABLE (feature_set text, partition text, partition_oid oid, range_start timestamptz, range_end timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT w.feature_set, p.partition, p.partition::regclass::oid, p.range_start, p.range_end
    FROM features.feature_value_partitions p
    JOIN features.feature_writes w ON w.hour >= p.range_start AND w.hour < p.range_end
   WHERE p.range_end IS NOT NULL AND p.range_end <= now() - make_interval(days => p_open_days)
   GROUP BY 1, 2, 3, 4, 5
  HAVING NOT EXISTS (SELECT 1 FROM features.partition_profile_sets s
                      WHERE s.feature_set = w.feature_set AND s.range_start = p.range_start AND s.range_end = p.range_end
                        AND s.partition_oid = p.partition::regclass::oid AND NOT s.stale AND s.writes_seen = sum(w.writes))
   ORDER BY p.range_end, 1
$$;

-- Retention: pg_partman drops old partitions (init.sql, 400 days) and has no hook to run then, so
-- profiles whose partition (bounds and oid) no longer exists, and counters of hours no partition
-- holds, are deleted by this cleanup, which the profiler runs each time (readers ignore such
-- profiles meanwhile: they join on the live partitions).
CREATE OR REPLACE FUNCTION features.drop_orphan_profiles()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  dropped integer;
BEGIN
  DELETE FROM features.partition_profile_sets s
   WHERE NOT EXISTS (SELECT 1 FROM features.feature_value_partitions p
                      WHERE p.range_start = s.range_start AND p.range_end = s.range_end AND p.partition::regclass::oid = s.partition_oid);
  GET DIAGNOSTICS dropped = ROW_COUNT;
  DELETE FROM features.feature_writes w
   WHERE w.hour < (SELECT min(range_start) FROM features.feature_value_partitions WHERE range_start IS NOT NULL);
  RETURN dropped;
END
$$;

-- How each drift report read its window: 'profiles' (some partitions from profiles) or 'exact'
-- (every row scanned), and the details (partitions from profiles, rebuilt, scanned and why).
ALTER TABLE monitoring.drift_reports ADD COLUMN IF NOT EXISTS read_method text CHECK (read_method IN ('profiles', 'exact'));
ALTER TABLE monitoring.drift_reports ADD COLUMN IF NOT EXISTS read_stats jsonb;
