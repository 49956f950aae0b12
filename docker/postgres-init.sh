#!/bin/sh
# The compose PostgreSQL's first start (/docker-entrypoint-initdb.d, run by the image as the
# superuser on POSTGRES_DB): the owner role that `migrate` runs as and the worker's least-privilege
# role, with pg_partman, grants and default privileges, all from warehouse/roles.sql (the same file
# the local stack runs). The schema itself is built later by the `migrate` service, as the owner.
# Role names may be changed with MLOPS_OWNER_ROLE and MLOPS_WORKER_ROLE (then change the URLs too).
set -eu
: "${MLOPS_OWNER_DB_PASSWORD:?set MLOPS_OWNER_DB_PASSWORD}"
: "${MLOPS_WORKER_DB_PASSWORD:?set MLOPS_WORKER_DB_PASSWORD}"
ROLES_SQL="${MLOPS_ROLES_SQL:-/etc/mlops/roles.sql}"

# psql variables (:'name') are quoted by psql itself, so a password may hold any character
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-mlops}" \
  -v owner_role="${MLOPS_OWNER_ROLE:-mlops}" -v owner_password="$MLOPS_OWNER_DB_PASSWORD" \
  -v worker_role="${MLOPS_WORKER_ROLE:-mlops_worker}" -v worker_password="$MLOPS_WORKER_DB_PASSWORD" \
  -v roles_sql="$ROLES_SQL" <<'SQL'
-- \gset: store the results instead of printing them (they hold the passwords)
SELECT set_config('mlops.owner_role', :'owner_role', false) AS _1,
       set_config('mlops.owner_password', :'owner_password', false) AS _2,
       set_config('mlops.worker_role', :'worker_role', false) AS _3,
       set_config('mlops.worker_password', :'worker_password', false) AS _4 \gset
\i :roles_sql
SQL
