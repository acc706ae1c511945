#!/usr/bin/env bash
# One Range over many keys (`etcdctl get "" --prefix`) against one etcd 3.4 member and one kvstore member, values
# on disk: loads KEYS keys of VAL_SIZE bytes (kvbench put), restarts the member (so the values are read back from
# its files, not from memory), then times one `etcdctl get "" --prefix` and records the member's RSS before and
# its peak RSS during the range (sampled every 50 ms). The restart is measured too (issue 13's restart target, with
# KEYS=1000000): the RSS after the load, the time from starting the member until its first read answers, and the RSS
# then. Prints one line per system and round.
#
#   tools/bigrange-vs-etcd.sh [--no-build] [--kvstore NAME=DIR]...
#
# --kvstore NAME=DIR (repeatable): a built kvstore (DIR holds kvstore.dll) to measure under NAME, e.g. a copy of
# main's build beside this branch's; default kvstore=src/KvStore.Host/bin/Release/net10.0. etcd runs once per round.
# Environment: KEYS (500000), VAL_SIZE (256), ROUNDS (2), WRITE_OUT (protobuf; etcdctl's --write-out),
# BENCH_DIR (parent of the data dirs; /tmp). The load average is printed with every line.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/members.sh
. tools/lib/members.sh

KEYS=${KEYS:-500000}
VAL_SIZE=${VAL_SIZE:-256}
ROUNDS=${ROUNDS:-2}
WRITE_OUT=${WRITE_OUT:-protobuf}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}}

build=1
kvdirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --kvstore) kvdirs+=("$2"); shift ;;
    *) echo "usage: $0 [--no-build] [--kvstore NAME=DIR]..." >&2; exit 2 ;;
  esac
  shift
done
[ ${#kvdirs[@]} -gt 0 ] || kvdirs=(kvstore=src/KvStore.Host/bin/Release/net10.0)

KVBENCH_DLL=tools/kvbench/bin/Release/net10.0/kvbench.dll
if [ "$build" = 1 ]; then
  dotnet build tools/kvbench -c Release -nologo -clp:ErrorsOnly -v:q
  dotnet build src/KvStore.Host -c Release -nologo -clp:ErrorsOnly -v:q
fi

pids=()
dirs=()
member_pid=""
stop_member() {
  [ -n "$member_pid" ] || return 0
  stop_pid "$member_pid" 30
  member_pid=""
}
cleanup() {
  stop_member
  for d in "${dirs[@]}"; do rm -rf "$d"; done
  dirs=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

# start NAME LOG COMMAND...: starts the member in the background and waits for its ready line.
start() {
  local name=$1 log=$2
  shift 2
  : >"$log"
  "$@" >>"$log" 2>&1 &
  member_pid=$!
  wait_ready "$name" "$log" "$member_pid" 120
}

# measure NAME COMMAND...: fresh data dir, load, timed restart, one timed range. COMMAND gets the data dir and ports appended.
measure() {
  local name=$1 data client peer ep rss0 hwm t0 t1 count bytes loaded started restarted
  shift
  data=$(mktemp -d "$BENCH_DIR/bigrange-$name.XXXXXX")
  dirs+=("$data")
  client=$(free_port)
  peer=$(free_port)
  ep="http://127.0.0.1:$client"
  single_member_flags "$data/d" "$client" "$peer"
  local args=("${MEMBER_FLAGS[@]}")
  start "$name" "$data/log" "$@" "${args[@]}"
  dotnet "$KVBENCH_DLL" --endpoints "$ep" --clients 100 --conns 10 put --total "$KEYS" --key-size 8 \
    --val-size "$VAL_SIZE" --key-space-size "$KEYS" --sequential-keys >/dev/null
  loaded=$(status_kb "$member_pid" VmRSS)
  stop_member
  started=$(date +%s.%N)
  start "$name" "$data/log" "$@" "${args[@]}"
  count=$(ETCDCTL_API=3 etcdctl --endpoints "$ep" get "" --prefix --limit=1 --write-out=json | jq .count)
  restarted=$(echo "$(date +%s.%N) - $started" | bc)
  rss0=$(status_kb "$member_pid" VmRSS)
  # the peak RSS while the range runs (VmHWM would include the restart's own peak)
  (peak=0; while [ ! -f "$data/done" ]; do r=$(status_kb "$member_pid" VmRSS); [ "$r" -gt "$peak" ] && peak=$r; echo "$peak" >"$data/peak"
    sleep 0.05; done) &
  local sampler=$!
  t0=$(date +%s.%N)
  bytes=$(ETCDCTL_API=3 etcdctl --endpoints "$ep" --command-timeout=120s get "" --prefix --write-out="$WRITE_OUT" | wc -c)
  t1=$(date +%s.%N)
  touch "$data/done"
  wait "$sampler"
  hwm=$(cat "$data/peak")
  awk -v n="$name" -v c="$count" -v b="$bytes" -v t="$(echo "$t1 - $t0" | bc)" -v r0="$rss0" -v h="$hwm" \
    -v l="$(cut -d' ' -f1 /proc/loadavg)" -v ld="$loaded" -v rs="$restarted" \
    'BEGIN {printf "| %s | %d | %.0f | %.2f | %.0f | %.1f | %.2f | %.0f | %+.0f | %s |\n",
      n, c, ld / 1024, rs, r0 / 1024, b / 1048576, t, h / 1024, (h - r0) / 1024, l}'
  stop_member
  rm -rf "$data"
}

echo "KEYS=$KEYS VAL_SIZE=$VAL_SIZE, etcdctl --write-out=$WRITE_OUT; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| system | keys | RSS after load MB | restart s (until the first read) | RSS after restart MB | response MB |" \
  "range s | peak RSS MB | growth MB | load |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for _ in $(seq "$ROUNDS"); do
  measure etcd etcd
  for k in "${kvdirs[@]}"; do measure "${k%%=*}" dotnet "${k#*=}/kvstore.dll"; done
done
