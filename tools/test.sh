#!/usr/bin/env bash
# Runs every KvStore test on a fresh machine: installs what the tests need, builds warning-free, runs the
# xunit suites, and prints one closing line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

# Real etcd 3.4 and etcdctl are the reference peers for the differential and client tests.
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
  echo "installing etcd-server and etcd-client (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >/dev/null
fi

# The TLS tests: openssl and curl; Go with Debian's etcd 3.4 source (a clientv3 program is built from it); node
# and npm (the etcd3 npm client is installed into a cache dir at test time).
need=""
command -v openssl >/dev/null || need="$need openssl"
command -v curl >/dev/null || need="$need curl"
command -v go >/dev/null || need="$need golang-go"
[[ -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3 ]] || need="$need golang-etcd-server-dev"
command -v node >/dev/null || need="$need nodejs"
command -v npm >/dev/null || need="$need npm"
if [[ -n $need ]]; then
  echo "installing$need (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

# Lines of src/ at most 150 characters: a violation fails the run at the end, after the suites have run.
style=0
bash tools/check-style.sh || style=$?
dotnet build KvStore.sln -c Release -warnaserror -nologo -clp:ErrorsOnly

log=$(mktemp)
status=0
dotnet test KvStore.sln -c Release --no-build -nologo --filter "Category!=Alone" --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?
# Tests about timing on this machine (e.g. a 34 MB snapshot install inside DotNext's 750 ms exchange) run after
# the others, one project at a time, so that the other suites' load does not decide them.
dotnet test KvStore.sln -c Release --no-build -nologo --filter "Category=Alone" -m:1 --logger "console;verbosity=normal" 2>&1 | tee -a "$log" || status=$?

# Each test project ends with "Total tests: N", then "     Passed: N", "     Failed: N", "     Skipped: N" lines.
read -r passed failed skipped < <(awk '/^ +Passed: [0-9]+$/ {p+=$2} /^ +Failed: [0-9]+$/ {f+=$2} /^ +Skipped: [0-9]+$/ {s+=$2}
  END {print p+0, f+0, s+0}' "$log")
# The failed tests again at the end, with the first lines of their messages, where a CI log's tail shows them.
if (( failed > 0 )); then
  echo "failed tests:"
  awk '/^ +Failed [A-Za-z]/ {print; n=6; next} n > 0 {print; n--}' "$log"
fi
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
(( style == 0 )) || echo "check-style failed: lines of src/ longer than 150 characters (bash tools/check-style.sh lists them)"
(( status != 0 )) || status=$style
exit "$status"
