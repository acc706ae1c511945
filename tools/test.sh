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

dotnet build KvStore.sln -c Release -warnaserror -nologo -clp:ErrorsOnly

log=$(mktemp)
status=0
dotnet test KvStore.sln -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# "Passed!  - Failed:     0, Passed:    57, Skipped:     0, Total:    57, Duration: ..." per test project.
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- Failed:' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
