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
#
# BENCH_SETTLE_S (default 65): seconds waited, inside the lock, before each group whose figures are
# costs per file created (small and sequential pushes, authentication on and off). A bench removes
# its runs' data directories when it ends (bench/src/data-trash.ts), and ext4 without a journal
# passes over inodes freed in the last minute or so whenever it allocates one: the group after
# would charge that scan to its first run, always Longshore's.
set -eu
cd "$(dirname "$0")/.."
runs="${BENCH_RUNS:-3}"
out="${BENCH_RESULTS_DIR:-bench/results/issue17-$(date -u +%Y-%m-%dT%H%M)}"
mkdir -p "$out"
settle="${BENCH_SETTLE_S:-65}"
n=0
group() {
  n=$((n + 1))
  group_wait="$1"
  group_runs="$2"
  shift 2
  args=""
  for scenario in "$@"; do args="$args --scenario $scenario"; done
  echo "issue17: group $n:$args (--runs $group_runs) -> $out/group-$n.txt" >&2
  # shellcheck disable=SC2086 # the scenario arguments are meant to split
  if [ -n "${BENCH_LOCK:-}" ]; then
    flock "$BENCH_LOCK" sh -c "sleep $group_wait; exec node bench/dist/main.js --runs $group_runs $args" >"$out/group-$n.txt" || true
  else
    sleep "$group_wait"
    node bench/dist/main.js --runs "$group_runs" $args >"$out/group-$n.txt" || true
  fi
}
group "$settle" "$runs" small-pushes small-pushes-v2
group "$settle" "$runs" sequential-pushes
group "$settle" "$runs" auth-on-vs-off
group 0 "$runs" large-layer large-layer-raw large-layer-v2
group 0 "$runs" four-large-layers
group 0 "$runs" memory
group 0 "$runs" memory-raw
group 0 "$runs" memory-v2
group 0 "${BENCH_LISTINGS_RUNS:-1}" listings
from=""
for file in "$out"/group-*.txt; do from="$from --from $file"; done
# shellcheck disable=SC2086 # one --from per group's output
node bench/dist/main.js $from | tee "$out/table.txt"
