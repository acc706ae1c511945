#!/usr/bin/env bash
# Runs the same kvbench workloads against a real etcd 3.4 and against kvstore (each a single member on free
# loopback ports with a fresh data dir), then prints one table with both systems' numbers and kvstore/etcd.
#
#   tools/bench-vs-etcd.sh [--no-build] [--only etcd|kvstore]
#
# Workload knobs (environment): TOTAL (100000), CLIENTS (100), CONNS (10), KEY_SIZE (8), VAL_SIZE (256),
# RANGE_TOTAL (= TOTAL), WORKLOADS ("put range-l range-s"; also "txn-put"), TXN_OPS (4), WARMUP (5000 unmeasured
# requests before each workload's measured run),
# BENCH_DIR (parent of the data dirs; /tmp), KEEP_JSON (a file to append every run's JSON line to).
# The machine's load average is printed with every run: on a shared machine, compare runs taken together.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/members.sh
. tools/lib/members.sh

TOTAL=${TOTAL:-100000}
CLIENTS=${CLIENTS:-100}
CONNS=${CONNS:-10}
KEY_SIZE=${KEY_SIZE:-8}
VAL_SIZE=${VAL_SIZE:-256}
RANGE_TOTAL=${RANGE_TOTAL:-$TOTAL}
WORKLOADS=${WORKLOADS:-"put range-l range-s"}
TXN_OPS=${TXN_OPS:-4}
WARMUP=${WARMUP:-5000}
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
KVSTORE_PROJECT=src/KvStore.Host
KVSTORE_DLL=$KVSTORE_PROJECT/bin/Release/net10.0/kvstore.dll

if [ "$build" = 1 ]; then
  dotnet build tools/kvbench -c Release -nologo -clp:ErrorsOnly -v:q
  if [ -d "$KVSTORE_PROJECT" ] && [ "$only" != etcd ]; then
    dotnet build "$KVSTORE_PROJECT" -c Release -nologo -clp:ErrorsOnly -v:q
  fi
fi
[ -f "$KVBENCH_DLL" ] || { echo "kvbench is not built ($KVBENCH_DLL); run without --no-build" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed for the result table" >&2; exit 1; }

# Everything this script starts is recorded here and stopped on any exit.
pids=()
dirs=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  pids=()
  for d in "${dirs[@]}"; do rm -rf "$d"; done
  dirs=()
}
results=$(mktemp)
run_out=$(mktemp)
trap 'cleanup; rm -f "$results" "$run_out"' EXIT
trap 'exit 130' INT TERM

# cpu_ticks PID: user+system clock ticks the process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
clk_tck=$(getconf CLK_TCK)

# start_member NAME LOG COMMAND...: starts the member in the background and waits for its ready line.
member_pid=""
start_member() {
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  member_pid=$!
  pids+=("$member_pid")
  wait_ready "$name" "$log" "$member_pid"
}

# workload_args WORKLOAD TOTAL: kvbench's command line for one workload.
workload_args() {
  case "$1" in
    put) echo put --total "$2" --key-size "$KEY_SIZE" --val-size "$VAL_SIZE" --key-space-size "$TOTAL" --sequential-keys ;;
    range-l) echo range kvbench-range-key --consistency l --total "$2" ;;
    range-s) echo range kvbench-range-key --consistency s --total "$2" ;;
    txn-put) echo txn-put --total "$2" --txn-ops "$TXN_OPS" --key-size "$KEY_SIZE" --val-size "$VAL_SIZE" --key-space-size "$TOTAL" ;;
    *) echo "unknown workload $1" >&2; return 1 ;;
  esac
}

# kvbench ENDPOINT ARGS...: one kvbench run, its JSON in $run_out. In the background and waited for, so that a
# signal reaches the trap at once (and the trap stops kvbench too).
kvbench() {
  local endpoint=$1
  shift
  dotnet "$KVBENCH_DLL" --endpoints "$endpoint" --clients "$CLIENTS" --conns "$CONNS" --output json "$@" >"$run_out" &
  pids+=($!)
  wait $! || true
}

# bench SYSTEM ENDPOINT: runs every workload against one started member. Each workload first runs WARMUP
# requests that are not measured: .NET compiles its hot paths again, optimised, during the first thousands of
# requests (that tiering thread alone took more CPU than the requests in a cold 1000-put run), Go does not.
bench() {
  local system=$1 endpoint=$2 w json before after load args
  for w in $WORKLOADS; do
    args=$(workload_args "$w" "$TOTAL") || return 1
    [ "$w" = put ] || [ "$w" = txn-put ] || args=$(workload_args "$w" "$RANGE_TOTAL")
    if [ "$WARMUP" -gt 0 ]; then
      # shellcheck disable=SC2046 # the arguments are words without spaces
      kvbench "$endpoint" $(workload_args "$w" "$WARMUP")
    fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    before=$(cpu_ticks "$member_pid")
    # shellcheck disable=SC2086
    kvbench "$endpoint" $args
    json=$(cat "$run_out")
    after=$(cpu_ticks "$member_pid")
    if [ -z "$json" ]; then
      echo "kvbench $w against $system printed no result" >&2
      json='{"total":0,"failed":0,"requestsPerSecond":0,"latencyMs":{},"errors":{"no result":1}}'
    fi
    echo "$json" | jq -c --arg system "$system" --arg workload "$w" --arg load "$load" \
      --argjson cpu "$(awk -v t=$((after - before)) -v hz="$clk_tck" 'BEGIN {printf "%.2f", t / hz}')" \
      '. + {system: $system, workload: $workload, load1: ($load | tonumber), serverCpuSeconds: $cpu}' >>"$results"
    echo "  $system $w: $(echo "$json" | jq -r '"\(.requestsPerSecond) req/s, p99 \(.latencyMs.p99 // "-") ms, \(.failed) failed"') (load $load)"
  done
}

# A range key the range workloads read: one key with a VAL_SIZE value, written before the runs.
seed_range_key() {
  local endpoint=$1 value
  value=$(head -c "$VAL_SIZE" /dev/zero | tr '\0' v)
  ETCDCTL_API=3 etcdctl --endpoints "$endpoint" put kvbench-range-key "$value" >/dev/null
}

run_etcd() {
  local data client peer
  data=$(mktemp -d "$BENCH_DIR/bench-etcd.XXXXXX")
  dirs+=("$data")
  client=$(free_port)
  peer=$(free_port)
  echo "etcd $(etcd --version | head -n1 | awk '{print $3}') on 127.0.0.1:$client (data $data)"
  dirs+=("$data.log")
  single_member_flags "$data" "$client" "$peer"
  start_member etcd "$data.log" etcd "${MEMBER_FLAGS[@]}" || return 1
  seed_range_key "http://127.0.0.1:$client" || echo "  could not write kvbench-range-key; the range workloads read a missing key" >&2
  bench etcd "http://127.0.0.1:$client"
  cleanup
}

run_kvstore() {
  local data client peer
  if [ ! -f "$KVSTORE_DLL" ]; then
    echo "kvstore: skipped ($KVSTORE_DLL does not exist; src/KvStore.Host is not built or not on this branch yet)"
    return 0
  fi
  data=$(mktemp -d "$BENCH_DIR/bench-kvstore.XXXXXX")
  dirs+=("$data")
  client=$(free_port)
  peer=$(free_port)
  echo "kvstore on 127.0.0.1:$client (data $data)"
  dirs+=("$data.log")
  single_member_flags "$data" "$client" "$peer"
  start_member kvstore "$data.log" dotnet "$KVSTORE_DLL" "${MEMBER_FLAGS[@]}" || return 1
  seed_range_key "http://127.0.0.1:$client" || echo "  could not write kvbench-range-key; the range workloads read a missing key" >&2
  bench kvstore "http://127.0.0.1:$client"
  cleanup
}

echo "kvbench: --clients $CLIENTS --conns $CONNS, put total $TOTAL (key-size $KEY_SIZE, val-size $VAL_SIZE," \
  "$TOTAL sequential keys), range total $RANGE_TOTAL; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# A system that fails to start is reported and the other one still runs; its log is printed above.
if [ "$only" != kvstore ]; then run_etcd || { echo "etcd: run failed" >&2; cleanup; }; fi
if [ "$only" != etcd ]; then run_kvstore || { echo "kvstore: run failed" >&2; cleanup; }; fi

[ -n "${KEEP_JSON:-}" ] && cat "$results" >>"$KEEP_JSON"

echo
{
  echo "workload system req/s p50_ms p90_ms p99_ms p99.9_ms max_ms failed server_cpu_s load1"
  # Per workload: each system's row, then kvstore/etcd when both ran (>1: kvstore higher, which is better for
  # req/s and worse for latency and CPU).
  jq -rs 'def row: [.workload, .system, .requestsPerSecond, (.latencyMs.p50 // "-"), (.latencyMs.p90 // "-"),
            (.latencyMs.p99 // "-"), (.latencyMs["p99.9"] // "-"), (.latencyMs.max // "-"), .failed,
            .serverCpuSeconds, .load1] | map(tostring) | join(" ");
          def r(a; b): if (a | type) == "number" and (b | type) == "number" and b != 0
            then (a / b * 100 | round / 100 | tostring) + "x" else "-" end;
          group_by(.workload)[]
          | (map(select(.system == "etcd"))[0]) as $e | (map(select(.system == "kvstore"))[0]) as $k
          | (.[] | row),
            (select($e != null and $k != null)
             | [$e.workload, "kvstore/etcd", r($k.requestsPerSecond; $e.requestsPerSecond),
                r($k.latencyMs.p50; $e.latencyMs.p50), r($k.latencyMs.p90; $e.latencyMs.p90),
                r($k.latencyMs.p99; $e.latencyMs.p99), r($k.latencyMs["p99.9"]; $e.latencyMs["p99.9"]),
                r($k.latencyMs.max; $e.latencyMs.max), "-", r($k.serverCpuSeconds; $e.serverCpuSeconds), "-"]
             | join(" "))' "$results"
} | column -t
