#!/usr/bin/env bash
# Publishes a sharded benchmark into a GitHub Pages tree: merges the shards into
# PAGES/runs/<time>/ (the shards of a run) or PAGES/sweeps/<time>/ (the shards of a sweep, link
# by link), rebuilds the trend of every run and every sweep's link there into PAGES/history/
# (runs are compared only over the same link), writes PAGES/index.html (the history and every
# sweep) and, under GitHub Actions, the job summary (the history's verdict and the run's summary
# or the sweep's report; `history` prints a warning annotation per regression).
# Usage: scripts/publish.sh PAGES_DIR SHARD_DIR...
set -euo pipefail
shopt -s nullglob
if [ $# -lt 2 ]; then
  echo "usage: scripts/publish.sh PAGES_DIR SHARD_DIR..." >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
pages=$1
shift
if [ -f "$1/sweep.json" ]; then kind=sweeps meta=sweep.json report=sweep.md; else kind=runs meta=run.json report=summary.md; fi
out="$pages/$kind/$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$pages/$kind"
status=0
# An incomplete shard still publishes what was measured; the job fails at the end.
"$root/bin/hellobench" merge "$@" --out "$out" || status=$?
[ -f "$out/$meta" ] || exit "$status"
"$root/bin/hellobench" history "$pages"/runs/* "$pages"/sweeps/*/*/ --out "$pages/history"
if [ "$kind" = runs ]; then cp "$out/badge.svg" "$out/startup.svg" "$pages/"; fi
{
  printf '<!doctype html><meta charset="utf-8"><title>hellobench</title><h1>hellobench</h1>\n'
  printf '<p><a href="history/history.html">history</a>: every run and every sweep link over time</p>\n'
  sweeps=("$pages"/sweeps/*/)
  if [ ${#sweeps[@]} -gt 0 ]; then
    printf '<h2>sweeps</h2><ul>\n'
    for ((i = ${#sweeps[@]} - 1; i >= 0; i--)); do
      name=$(basename "${sweeps[$i]}")
      printf '<li><a href="sweeps/%s/sweep.html">%s</a></li>\n' "$name" "$name"
    done
    printf '</ul>\n'
  fi
} > "$pages/index.html"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$pages/history/history.md" "$out/$report" >> "$GITHUB_STEP_SUMMARY"
fi
echo "published $out and $pages/history" >&2
exit "$status"
