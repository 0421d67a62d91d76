#!/bin/sh
# Issue 17's whole target table, unattended: runs its scenarios in groups (each group one
# `node bench/dist/main.js` of a few minutes, under `flock $BENCH_LOCK` when BENCH_LOCK is set,
# so benches of others on a shared machine never overlap it), keeps each group's output in
# $BENCH_RESULTS_DIR, then prints the table of all of them (`--from`), issue 17's at the end.
#
#   BENCH_PEER_REGISTRY=../shared/bin/registry-3 BENCH_LOCK=/work/bench.lock npm run bench:issue17
#
# BENCH_RUNS (default 3) applies to every group but listings (BENCH_LISTINGS_RUNS, default 1:
# it only contributes the RSS rows, and takes minutes per run). Other BENCH_* settings apply.
set -eu
cd "$(dirname "$0")/.."
runs="${BENCH_RUNS:-3}"
out="${BENCH_RESULTS_DIR:-bench/results/issue17-$(date -u +%Y-%m-%dT%H%M)}"
mkdir -p "$out"
n=0
group() {
  n=$((n + 1))
  group_runs="$1"
  shift
  args=""
  for scenario in "$@"; do args="$args --scenario $scenario"; done
  echo "issue17: group $n:$args (--runs $group_runs) -> $out/group-$n.txt" >&2
  # shellcheck disable=SC2086 # the scenario arguments are meant to split
  if [ -n "${BENCH_LOCK:-}" ]; then
    flock "$BENCH_LOCK" node bench/dist/main.js --runs "$group_runs" $args >"$out/group-$n.txt" || true
  else
    node bench/dist/main.js --runs "$group_runs" $args >"$out/group-$n.txt" || true
  fi
}
group "$runs" small-pushes small-pushes-v2
group "$runs" sequential-pushes
group "$runs" auth-on-vs-off
group "$runs" large-layer large-layer-raw large-layer-v2
group "$runs" four-large-layers
group "$runs" memory
group "$runs" memory-raw
group "$runs" memory-v2
group "${BENCH_LISTINGS_RUNS:-1}" listings
from=""
for file in "$out"/group-*.txt; do from="$from --from $file"; done
# shellcheck disable=SC2086 # one --from per group's output
node bench/dist/main.js $from | tee "$out/table.txt"
