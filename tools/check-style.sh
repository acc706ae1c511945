#!/usr/bin/env bash
# Fails, naming file:line, when a line of src/**/*.cs (generated obj/ files aside) is longer than 150 characters,
# the limit .editorconfig's max_line_length states. Run by tools/test.sh before the build.
set -euo pipefail
cd "$(dirname "$0")/.."

max=150
long=$(find src -name '*.cs' -not -path '*/obj/*' -print0 | sort -z \
  | xargs -0 awk -v max="$max" 'length($0) > max { printf "%s:%d: %d characters\n", FILENAME, FNR, length($0) }')
if [[ -n $long ]]; then
  echo "$long"
  echo "check-style: $(wc -l <<<"$long") lines of src/ longer than $max characters (wrap them; see .editorconfig)" >&2
  exit 1
fi
echo "check-style: no line of src/ longer than $max characters"
