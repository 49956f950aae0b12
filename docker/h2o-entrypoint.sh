#!/usr/bin/env bash
# Starts H2O-3 with -Xmx derived from ONE variable, H2O_MEMORY: the container's memory limit
# (docker-compose.yml sets both from the same value).
#
# Why 70%: the JVM needs memory beyond the heap (metaspace, code cache, thread stacks, GC structures,
# NIO buffers); a heap equal to the limit gets the container OOM-killed with no Java stack trace.
# XGBoost trains in NATIVE memory outside the heap: when you train XGBoost, set H2O_HEAP_PERCENT=50
# (or lower) and raise H2O_MEMORY, as H2O's own Kubernetes image does (MaxRAMPercentage=50).
#
# A multi-node cloud (docker-compose.yml's h2o-1, h2o-2): every node gets the same H2O_CLOUD_NAME and
# H2O_FLATFILE (one `host:port` line per node), so they form one cloud and nothing else joins it.
#
# `entrypoint.sh --print-command` prints the java command line and exits (used by the tests).
# `entrypoint.sh --healthcheck` exits 0 once /3/Cloud reports H2O_NODES nodes (default 1), all
# healthy, in consensus (the containers' healthcheck; bash's /dev/tcp avoids installing curl).
set -euo pipefail

if [[ "${1:-}" == "--healthcheck" ]]; then
  exec 3<>/dev/tcp/127.0.0.1/54321
  printf 'GET /3/Cloud?skip_ticks=true HTTP/1.0\r\n\r\n' >&3
  answer="$(cat <&3)"
  [[ "$answer" == *'"cloud_healthy":true'* && "$answer" == *'"consensus":true'* && "$answer" == *"\"cloud_size\":${H2O_NODES:-1},"* ]]
  exit $?
fi

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
  # one cloud: the shared name and flatfile; alone, a unique name keeps replicas from joining each other over multicast
  -name "${H2O_CLOUD_NAME:-mlops-h2o-${HOSTNAME:-single}}"
  -ice_root /var/lib/h2o/ice)
if [[ -n "${H2O_FLATFILE:-}" ]]; then command+=(-flatfile "$H2O_FLATFILE"); fi
# H2O_NTHREADS as in src/config.ts: -1 (default) = all cores the container may use
if [[ "${H2O_NTHREADS:--1}" =~ ^[1-9][0-9]*$ ]]; then command+=(-nthreads "$H2O_NTHREADS"); fi

if [[ "${1:-}" == "--print-command" ]]; then
  printf '%s\n' "${command[*]}"
  exit 0
fi
exec "${command[@]}" "$@"
