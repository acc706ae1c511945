#!/usr/bin/env bash
# Builds the robustness harness (tests/KvStore.Robustness, with the kvstore it starts) and runs it: a cluster of
# real kvstore or etcd 3.4 members under recorded traffic and a seeded fault schedule; the history is saved in
# --out and checked; the exit code is non-zero on a violation. See docs/robustness.md.
#
#   tools/robustness.sh [--no-build] run --target kvstore|etcd --members 3|5 --duration 60s --seed N \
#                       --traffic etcd|kube --faults kill-leader,kill,pause,pause-leader,restart-snapshot,slow-save,crash-save --out DIR
#   tools/robustness.sh [--no-build] check DIR/history.json
#   tools/robustness.sh [--no-build] --help
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
if [ "${1:-}" = "--no-build" ]; then
  build=0
  shift
fi

PROJECT=tests/KvStore.Robustness
DLL=$PROJECT/bin/Release/net10.0/KvStore.Robustness.dll
if [ "$build" = 1 ] || [ ! -f "$DLL" ]; then
  dotnet build "$PROJECT" -c Release -nologo -clp:ErrorsOnly -v:q >&2
fi
exec dotnet "$DLL" "$@"
