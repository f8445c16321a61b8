#!/usr/bin/env bash
# The benchmark command: installs what is missing, then `hellobench run` with any options given.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
exec "$root/bin/hellobench" run "$@"
