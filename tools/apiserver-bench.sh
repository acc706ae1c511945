#!/usr/bin/env bash
# Measures the apiserver facade with tools/apiserver-bench twice: the in-member facade of a kvstore member, and the
# standalone facade (kvstore apiserver) over a real etcd 3.4. Each run starts its servers on free loopback ports with
# fresh data dirs under $BENCH_DIR (default /tmp) and stops them on exit. Extra arguments go to apiserver-bench
# (e.g. --pods 2000 --watchers 200).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/tmp}
ONLY=${ONLY:-}   # "member" or "etcd" for one of the two
if [[ "${NO_BUILD:-}" != 1 ]]; then
  dotnet build src/KvStore.Host -c Release -nologo -clp:ErrorsOnly >/dev/null
  dotnet build tools/apiserver-bench -c Release -nologo -clp:ErrorsOnly >/dev/null
fi
KVSTORE="dotnet src/KvStore.Host/bin/Release/net10.0/kvstore.dll"
BENCH="dotnet tools/apiserver-bench/bin/Release/net10.0/apiserver-bench.dll"

# shellcheck source=lib/members.sh
. tools/lib/members.sh
pids=()
dirs=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for dir in "${dirs[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT

wait_url() { # url log
  for _ in $(seq 1 240); do
    if curl -sf "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "did not get ready: $1"; tail -20 "$2"; exit 1
}

run_member() {
  local dir client peer api
  dir=$(mktemp -d "$BENCH_DIR/apiserver-bench-member-XXXX"); dirs+=("$dir")
  client=$(free_port); peer=$(free_port); api=$(free_port)
  single_member_flags "$dir/data" "$client" "$peer"
  $KVSTORE "${MEMBER_FLAGS[@]}" --apiserver-listen-url "http://127.0.0.1:$api" >"$dir/member.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_url "http://127.0.0.1:$api/readyz" "$dir/member.log"
  echo "== in-member facade (kvstore member, pid $pid: the store and the facade in one process)"
  $BENCH --server "http://127.0.0.1:$api" --server-pid "$pid" "$@"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_etcd() {
  local dir client peer api
  dir=$(mktemp -d "$BENCH_DIR/apiserver-bench-etcd-XXXX"); dirs+=("$dir")
  client=$(free_port); peer=$(free_port); api=$(free_port)
  single_member_flags "$dir/data" "$client" "$peer"
  etcd "${MEMBER_FLAGS[@]}" >"$dir/etcd.log" 2>&1 &
  local etcd_pid=$!; pids+=("$etcd_pid")
  wait_url "http://127.0.0.1:$client/health" "$dir/etcd.log"
  $KVSTORE apiserver --etcd-servers "http://127.0.0.1:$client" --listen-url "http://127.0.0.1:$api" >"$dir/apiserver.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_url "http://127.0.0.1:$api/readyz" "$dir/apiserver.log"
  echo "== standalone facade over real etcd 3.4 (facade pid $pid; etcd pid $etcd_pid, its memory not counted)"
  $BENCH --server "http://127.0.0.1:$api" --server-pid "$pid" "$@"
  echo "etcd rss MiB: $(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$etcd_pid/status)"
  kill "$pid" "$etcd_pid"; wait "$pid" "$etcd_pid" 2>/dev/null || true
}

[[ "$ONLY" == etcd ]] || run_member "$@"
[[ "$ONLY" == member ]] || run_etcd "$@"
