#!/usr/bin/env bash
# How stable the default benchmark's numbers are on this machine: three default runs back to
# back (blocked order; shuffled order; blocked again, sampling until every median is known to
# ±5%), then the figures of experiments/stability.ts: CV of the totals, widths of the speed-up
# intervals (independent and paired), samples set aside, rounds --until-ci needed, and what
# `compare` says of each run against the one before it. About 1.5-2 hours on 2 cores.
#   experiments/stability.sh [OUT_DIR] [extra `hellobench run` options, e.g. --only python]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/results/stability-$(date -u +%Y%m%dT%H%M%SZ)}
shift || true
"$root/scripts/setup.sh"
mkdir -p "$out"
run() { # NAME OPTIONS...: one run; a run with not-ok samples still gives figures
  local name=$1; shift
  echo "stability: run $name: hellobench run $*" >&2
  "$root/bin/hellobench" run --out "$out/$name" "$@" || echo "stability: run $name ended with status $? (see $out/$name)" >&2
}
run blocked --order blocked --seed 20261128 "$@"
run shuffled --order shuffled --seed 20261128 "$@"
run until-ci --order blocked --seed 20261129 --until-ci 5 --max-samples 8 "$@"
"$root/bin/hellobench" compare "$out/blocked" "$out/shuffled" --out "$out/compare-1-2" > /dev/null
"$root/bin/hellobench" compare "$out/shuffled" "$out/until-ci" --out "$out/compare-2-3" > /dev/null
cd "$root"
node --import tsx experiments/stability.ts "$out/blocked" "$out/shuffled" "$out/until-ci" --compare "$out/compare-1-2/compare.md" --compare "$out/compare-2-3/compare.md"
echo "the same, first 5 rounds of each run:"
node --import tsx experiments/stability.ts "$out/blocked" "$out/shuffled" "$out/until-ci" --rounds 5
