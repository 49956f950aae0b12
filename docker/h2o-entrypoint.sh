#!/usr/bin/env bash
# Starts H2O-3 with -Xmx derived from ONE variable, H2O_MEMORY: the container's memory limit
# (docker-compose.yml sets both from the same value).
#
# Why 70%: the JVM needs memory beyond the heap (metaspace, code cache, thread stacks, GC structures,
# NIO buffers); a heap equal to the limit gets the container OOM-killed with no Java stack trace.
# XGBoost trains in NATIVE memory outside the heap: when you train XGBoost, set H2O_HEAP_PERCENT=50
# (or lower) and raise H2O_MEMORY, as H2O's own Kubernetes image does (MaxRAMPercentage=50).
#
# `entrypoint.sh --print-command` prints the java command line and exits (used by the tests).
set -euo pipefail

memory="${H2O_MEMORY:-4g}"
percent="${H2O_HEAP_PERCENT:-70}"
if [[ ! "$memory" =~ ^([0-9]+)([mMgG])$ ]]; then
  echo "H2O_MEMORY=\"$memory\" is invalid: expected a size such as 512m or 4g" >&2
  exit 2
fi
mib="${BASH_REMATCH[1]}"
[[ "${BASH_REMATCH[2]}" =~ [gG] ]] && mib=$((mib * 1024))
if [[ ! "$percent" =~ ^[0-9]+$ ]] || ((percent < 10 || percent > 90)); then
  echo "H2O_HEAP_PERCENT=\"$percent\" is invalid: expected an integer from 10 to 90" >&2
  exit 2
fi
# Integer floor, the same rounding as the local stack's h2oHeapMiB (src/stack/h2o.ts).
heap_mib=$((mib * percent / 100))

command=(java "-Xmx${heap_mib}m" -jar /opt/h2o/h2o.jar
  -port 54321
  # one node per container: a unique cloud name keeps replicas from joining each other over multicast
  -name "mlops-h2o-${HOSTNAME:-single}"
  -ice_root /var/lib/h2o/ice)
# H2O_NTHREADS as in src/config.ts: -1 (default) = all cores the container may use
if [[ "${H2O_NTHREADS:--1}" =~ ^[1-9][0-9]*$ ]]; then command+=(-nthreads "$H2O_NTHREADS"); fi

if [[ "${1:-}" == "--print-command" ]]; then
  printf '%s\n' "${command[*]}"
  exit 0
fi
exec "${command[@]}" "$@"
