-- Write counting in one function, for two callers (docs/DRIFT.md, "Profiles"):
-- - the statement triggers of migration 070, for every writer through features.feature_values (SQL
--   backfills, upserts of re-fetched pages, tests);
-- - the page writer (src/feature-store/page-writer.ts), which COPYs new rows straight into their leaf
--   partitions and calls this in the same transaction. It must: PostgreSQL does not batch a COPY into
--   a partitioned table that has a transition-table trigger (one insert per row instead of its multi-
--   insert buffers), which cost ingestion about a quarter of its speed, with the trigger enabled or not.
-- Idempotent: safe to run again.

-- Adds n writes to each (feature set, UTC hour) and marks stale the profiles of the closed partitions
-- those hours fall in. Counters are locked in key order, so two writers never deadlock on them.
CREATE OR REPLACE FUNCTION features.record_feature_writes(p_feature_sets text[], p_hours timestamptz[], p_counts bigint[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  WITH touched AS (
    SELECT feature_set, hour, sum(n)::bigint AS n
      FROM unnest(p_feature_sets, p_hours, p_counts) AS t(feature_set, hour, n)
     GROUP BY 1, 2
  ), counted AS (
    INSERT INTO features.feature_writes AS w (feature_set, hour, writes)
    SELECT feature_set, hour, n FROM touched ORDER BY 1, 2
    ON CONFLICT (feature_set, hour) DO UPDATE SET writes = w.writes + EXCLUDED.writes
  )
  UPDATE features.partition_profile_sets s SET stale = true
    FROM touched t
   WHERE s.feature_set = t.feature_set AND t.hour >= s.range_start AND t.hour < s.range_end AND NOT s.stale;
END
$$;

CREATE OR REPLACE FUNCTION features.count_feature_writes()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM features.record_feature_writes(array_agg(feature_set), array_agg(hour), array_agg(n))
     FROM (SELECT feature_set, date_trunc('hour', event_time, 'UTC') AS hour, count(*) AS n
             FROM changed_rows GROUP BY 1, 2) t;
  RETURN NULL;
END
$$;
