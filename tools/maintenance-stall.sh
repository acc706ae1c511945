#!/usr/bin/env bash
# The longest put wait during maintenance: one member (etcd 3.4 and kvstore, one after the other) is filled with
# KEYS keys written twice (2 x KEYS revisions), then 10 clients put at LOAD_RATE/s while `etcdctl compaction` of
# every revision runs (and, on etcd, `etcdctl defrag`). Prints the put latency (p99, max) of that load and how long
# each etcdctl command took to answer. Usage: tools/maintenance-stall.sh [--no-build] [--only etcd|kvstore]
# Environment: KEYS, VAL_SIZE, LOAD_CLIENTS, LOAD_RATE, LOAD_SECONDS, BENCH_DIR, KVSTORE_DLL (another build's
# kvstore.dll, to compare builds; with --no-build), LOADGEN (the Go clientv3 load generator that puts the measured load,
# built by tools/loadgen/build.sh when not given) and SLOW_MS (each put of at least this many ms is listed with its send
# time in BENCH_DIR/stall-NAME-slow.txt; 0: none).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/members.sh
. tools/lib/members.sh

KEYS=${KEYS:-300000}
VAL_SIZE=${VAL_SIZE:-64}
LOAD_CLIENTS=${LOAD_CLIENTS:-10}
LOAD_RATE=${LOAD_RATE:-500}
LOAD_SECONDS=${LOAD_SECONDS:-30}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}}

build=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --only) only="$2"; shift ;;
    *) echo "usage: $0 [--no-build] [--only etcd|kvstore]" >&2; exit 2 ;;
  esac
  shift
done

KVBENCH_DLL=tools/kvbench/bin/Release/net10.0/kvbench.dll
KVSTORE_DLL=${KVSTORE_DLL:-src/KvStore.Host/bin/Release/net10.0/kvstore.dll}
if [ "$build" = 1 ]; then
  dotnet build tools/kvbench -c Release -nologo -clp:ErrorsOnly -v:q
  dotnet build src/KvStore.Host -c Release -nologo -clp:ErrorsOnly -v:q
fi
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 1; }
# The measured load comes from the Go client (the one kube-apiserver uses): a .NET client's own pauses on these two
# cores would count as the server's.
LOADGEN=${LOADGEN:-}
[ -n "$LOADGEN" ] || LOADGEN=$(bash tools/loadgen/build.sh)
SLOW_MS=${SLOW_MS:-0}

member_pid=""
data=""
cleanup() {
  if [ -n "$member_pid" ]; then
    stop_pid "$member_pid" 10
    member_pid=""
  fi
  if [ -n "$data" ]; then rm -rf "$data" "$data.log"; data=""; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_member() {
  local name=$1
  shift
  data=$(mktemp -d "$BENCH_DIR/stall-$name.XXXXXX")
  client=$(free_port)
  peer=$(free_port)
  single_member_flags "$data" "$client" "$peer"
  "$@" "${MEMBER_FLAGS[@]}" >"$data.log" 2>&1 &
  member_pid=$!
  wait_ready "$name" "$data.log" "$member_pid"
}

# Runs an etcdctl command and prints how long it took to answer, in ms.
timed() {
  local t0 t1
  t0=$(date +%s%N)
  etcdctl --endpoints "127.0.0.1:$client" "$@" >/dev/null
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}

run() {
  local name=$1
  shift
  start_member "$name" "$@"
  dotnet "$KVBENCH_DLL" --endpoints "http://127.0.0.1:$client" --clients 100 --conns 10 put \
    --total $((2 * KEYS)) --key-size 8 --val-size "$VAL_SIZE" --key-space-size "$KEYS" --sequential-keys >/dev/null
  local rev
  rev=$(etcdctl --endpoints "127.0.0.1:$client" endpoint status -w json | jq '.[0].Status.header.revision')
  local out
  out=$(mktemp)
  "$LOADGEN" -endpoints "127.0.0.1:$client" -mode put -clients "$LOAD_CLIENTS" -conns 2 -json \
    -total $((LOAD_RATE * LOAD_SECONDS)) -rate "$LOAD_RATE" -key-size 8 -val-size "$VAL_SIZE" -key-space 1000 \
    -slow-ms "$SLOW_MS" >"$out" 2>"$BENCH_DIR/stall-$name-slow.txt" &
  local load=$!
  sleep 5
  local compact defrag="-" sent
  sent=$(date -u +%H:%M:%S.%3N)
  compact=$(timed compaction "$rev")
  if [ "$name" = etcd ]; then sleep 5; defrag=$(timed defrag); fi
  wait "$load"
  printf '| %s | %s | %s ms | %s ms | %s ms | %s ms |\n' "$name" "$rev" "$compact" "$defrag" \
    "$(jq '.p99_ms' "$out")" "$(jq '.max_ms' "$out")"
  rm -f "$out"
  if [ "$SLOW_MS" != 0 ]; then
    echo "$name: compaction sent at $sent; puts of $SLOW_MS ms or more in $BENCH_DIR/stall-$name-slow.txt ($(grep -c slow "$BENCH_DIR/stall-$name-slow.txt"))"
  else
    cat "$BENCH_DIR/stall-$name-slow.txt" >&2 # no slow puts listed: only the load generator's own errors, if any
    rm -f "$BENCH_DIR/stall-$name-slow.txt"
  fi
  cleanup
}

echo "keys $KEYS written twice (val-size $VAL_SIZE); load $LOAD_CLIENTS clients at $LOAD_RATE puts/s for $LOAD_SECONDS s;" \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| system | revisions compacted | compaction answered in | defrag answered in | put p99 | longest put |"
echo "|---|---|---|---|---|---|"
if [ "$only" != kvstore ]; then run etcd etcd; fi
if [ "$only" != etcd ]; then run kvstore dotnet "$KVSTORE_DLL"; fi
