#!/usr/bin/env bash
# Builds kvstore as one self-contained executable (the .NET runtime inside: the machine it runs on needs none) and,
# with --install, copies it onto the PATH.
#
#   tools/publish.sh                          # -> publish/linux-x64/kvstore (or linux-arm64 on an arm64 machine)
#   tools/publish.sh --rid linux-arm64        # another platform (any .NET runtime identifier)
#   sudo tools/publish.sh --install           # also installs /usr/local/bin/kvstore
#   tools/publish.sh --install "$HOME/.local" # installs $HOME/.local/bin/kvstore
#   tools/publish.sh --output /tmp/out        # the executable in /tmp/out
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) rid="" ;;
esac
output=""
install_prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) rid="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --install)
      install_prefix=/usr/local
      if [ $# -gt 1 ] && [ "${2#-}" = "$2" ]; then install_prefix="$2"; shift; fi
      shift ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "tools/publish.sh: unknown argument $1 (see tools/publish.sh --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$rid" ]; then
  echo "tools/publish.sh: unknown machine $(uname -m); name the platform with --rid (e.g. linux-x64)" >&2
  exit 2
fi
output="${output:-publish/$rid}"

dotnet publish src/KvStore.Host -c Release -r "$rid" --self-contained true \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -o "$output" -nologo -clp:ErrorsOnly
echo "built $output/kvstore"

if [ -n "$install_prefix" ]; then
  install -d "$install_prefix/bin"
  install -m 0755 "$output/kvstore" "$install_prefix/bin/kvstore"
  echo "installed $install_prefix/bin/kvstore"
fi
