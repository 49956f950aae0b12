-- The worker's least-privilege role (warehouse/roles.sql) owns nothing, so it may not build an index.
-- The one schema change ingestion needs, the GIN index of a closed daily partition (migration 010),
-- goes through this function instead: SECURITY DEFINER, it runs as its owner (the migrations' role,
-- who owns the partitions), and it builds only what features.partitions_to_index lists, so the
-- worker can index a closed partition and nothing else.
--
-- The cost: a function runs in a transaction, so the build is not CONCURRENTLY. It takes a SHARE lock
-- on that one closed partition: late rows for that day wait for the build (seconds per day of data),
-- reads and writes to every other partition, the open ones included, do not.
CREATE OR REPLACE FUNCTION features.index_closed_partition(p_open_days integer, p_partition text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  SELECT * INTO r FROM features.partitions_to_index(p_open_days) AS p WHERE p.partition = p_partition;
  IF NOT FOUND THEN
    RETURN false; -- indexed meanwhile, or not a closed partition of features.feature_values
  END IF;
  -- an index left INVALID by an interrupted CONCURRENTLY build of an older release
  EXECUTE format('DROP INDEX IF EXISTS features.%I', r.index_name);
  EXECUTE format('CREATE INDEX %I ON %s USING gin (features jsonb_path_ops) WITH (fastupdate = on, gin_pending_list_limit = 65536)',
                 r.index_name, r.partition);
  RETURN true;
END
$$;

REVOKE ALL ON FUNCTION features.index_closed_partition(integer, text) FROM PUBLIC;
-- the worker role gets EXECUTE from the owner's default privileges (warehouse/roles.sql)
