#!/bin/sh
# One-shot job (temporalio/admin-tools) run once the server is healthy: creates the namespace and
# registers the project's search attributes, given as SEARCH_ATTRIBUTES="Name=Type Name=Type ..."
# (docker-compose.yml; the list must equal src/shared/search-attributes.ts, which a test checks).
# Safe to re-run: existing namespaces and attributes are left alone.
set -eu
: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set}"
namespace="${TEMPORAL_NAMESPACE:-default}"

until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 2
done

if ! temporal operator namespace describe --namespace "$namespace" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$namespace" --retention 30d --address "$TEMPORAL_ADDRESS"
fi

existing="$(temporal operator search-attribute list --namespace "$namespace" --address "$TEMPORAL_ADDRESS")"
for pair in ${SEARCH_ATTRIBUTES:-}; do
  name="${pair%%=*}"
  type="${pair##*=}"
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --namespace "$namespace" --name "$name" --type "$type" --address "$TEMPORAL_ADDRESS"
  fi
done
echo "namespace $namespace and search attributes are ready"
