#!/bin/sh
# One-shot job (temporalio/admin-tools) run before the Temporal server: creates the `temporal` and
# `temporal_visibility` databases and brings both schemas to the version this server release ships.
# Safe to re-run: creating an existing database or re-running the base setup is tolerated, and
# update-schema applies only the versions that are missing (and fails loudly if it cannot).
set -eu
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS must name the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set}"
port="${DB_PORT:-5432}"
schema_root=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" "$@"
}

until nc -z -w 5 "$POSTGRES_SEEDS" "$port"; do
  echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$port"
  sleep 2
done

for db in temporal:temporal temporal_visibility:visibility; do
  name="${db%%:*}"
  dir="${db##*:}"
  sql_tool --db "$name" create 2>/dev/null || echo "database $name exists"
  sql_tool --db "$name" setup-schema -v 0.0 2>/dev/null || echo "database $name already has a base schema"
  sql_tool --db "$name" update-schema -d "$schema_root/$dir/versioned"
done
echo "Temporal schemas are up to date"
