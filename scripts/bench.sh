#!/usr/bin/env bash
# The benchmark command: installs what is missing, then `hellobench run` with any options given,
# or `hellobench sweep` when the first word is `sweep` (the run under each link of a grid).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
if [ "${1:-}" = sweep ]; then
  shift
  exec "$root/bin/hellobench" sweep "$@"
fi
exec "$root/bin/hellobench" run "$@"
