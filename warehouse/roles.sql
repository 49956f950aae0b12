-- The database's roles, run by a SUPERUSER on the mlops database, before or after the migrations and
-- as often as wanted (idempotent): by the local stack (src/stack/postgres.ts, ensureDatabaseRoles) and
-- by the compose PostgreSQL's first start (docker/postgres-init.sh). Not a migration: migrations run
-- as the owner, who may not create roles.
--
-- - the OWNER (MIGRATE_DATABASE_URL) owns the database, its schemas and every table; `migrate` runs
--   as it. Created here when missing (with mlops.owner_password); an existing owner keeps its password.
-- - the WORKER (DATABASE_URL) reads and writes rows and runs the functions, and nothing more: no
--   CREATE on any schema, no ownership, so DDL (CREATE, ALTER, DROP, TRUNCATE) is refused. The one
--   schema change the worker needs, a closed partition's GIN index, goes through the owner's
--   SECURITY DEFINER function features.index_closed_partition (migration 050).
--
-- Parameters, as session settings set just before: mlops.owner_role, mlops.owner_password,
-- mlops.worker_role, mlops.worker_password.
DO $roles$
DECLARE
  owner_role text := current_setting('mlops.owner_role');
  worker_role text := current_setting('mlops.worker_role');
  worker_password text := current_setting('mlops.worker_password');
  owner_password text := current_setting('mlops.owner_password', true);
  s text;
BEGIN
  IF coalesce(worker_password, '') = '' THEN
    RAISE EXCEPTION 'mlops.worker_password is empty: the worker role % needs a password', worker_role;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = owner_role) THEN
    IF coalesce(owner_password, '') = '' THEN
      RAISE EXCEPTION 'mlops.owner_password is empty: the owner role % needs a password', owner_role;
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE', owner_role, owner_password);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = worker_role) THEN
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', worker_role, worker_password);
  ELSE
    EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE', worker_role, worker_password);
  END IF;

  EXECUTE format('ALTER DATABASE %I OWNER TO %I', current_database(), owner_role);
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), worker_role);
  -- PostgreSQL 15 no longer lets PUBLIC create in `public`; said again for older clusters
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;

  -- pg_partman is a superuser's extension; its maintenance creates partitions as the table owner
  CREATE SCHEMA IF NOT EXISTS partman;
  CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
  EXECUTE format('GRANT ALL ON SCHEMA partman TO %I', owner_role);
  EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA partman TO %I', owner_role);
  EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA partman TO %I', owner_role);
  EXECUTE format('GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA partman TO %I', owner_role);

  FOREACH s IN ARRAY ARRAY['features', 'registry', 'monitoring', 'webhooks'] LOOP
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', s, owner_role);
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM %I', s, worker_role);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, worker_role);
    -- what exists now (a stack whose tables predate this role) ...
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', s, worker_role);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', s, worker_role);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO %I', s, worker_role);
    -- ... and what later migrations create as the owner
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', owner_role, s, worker_role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', owner_role, s, worker_role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT EXECUTE ON FUNCTIONS TO %I', owner_role, s, worker_role);
  END LOOP;
END
$roles$;
