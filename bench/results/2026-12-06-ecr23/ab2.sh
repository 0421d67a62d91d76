#!/bin/bash
# rotating orders: ab2.sh OUTDIR SCEN "A E F" "F A E" "E F A"
out=$1; scen=$2; shift 2; r=0
for order in "$@"; do r=$((r+1)); for v in $order; do
  cd /work/wt/ecr23
  rsync -a --delete /tmp/ecr23ab/$v/api/ apps/api/dist/ && rsync -a --delete /tmp/ecr23ab/$v/auth/ packages/auth/dist/
  g=$out/gc-$v-$r; mkdir -p $g; rm -f $g/*
  f=$out/$scen-$v-$r.txt
  GC_STATS_DIR=$g API_PROCESSES=${APIP:-1} BENCH_DURATION_S=${DUR:-10} flock /work/bench.lock bash -c "date -u +%H:%M:%S; cat /proc/loadavg; node bench/dist/main.js --runs 1 --scenario $scen ${EXTRA:-}; cat /proc/loadavg" > $f 2>&1
done; done
