#!/usr/bin/env bash
# Publishes a sharded benchmark into a GitHub Pages tree: merges the shards into
# PAGES/runs/<time>/, rebuilds the trend of every run there into PAGES/history/, points
# PAGES/index.html at it and, under GitHub Actions, writes the job summary (the run's
# summary and the history's verdict; `history` prints a warning annotation per regression).
# Usage: scripts/publish.sh PAGES_DIR SHARD_DIR...
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: scripts/publish.sh PAGES_DIR SHARD_DIR..." >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
pages=$1
shift
run="$pages/runs/$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$pages/runs"
status=0
# An incomplete shard still publishes what was measured; the job fails at the end.
"$root/bin/hellobench" merge "$@" --out "$run" || status=$?
[ -f "$run/run.json" ] || exit "$status"
"$root/bin/hellobench" history "$pages"/runs/* --out "$pages/history"
cp "$run/badge.svg" "$run/startup.svg" "$pages/"
printf '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=history/history.html"><title>hellobench</title><a href="history/history.html">hellobench history</a>\n' > "$pages/index.html"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$pages/history/history.md" "$run/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi
echo "published $run and $pages/history" >&2
exit "$status"
