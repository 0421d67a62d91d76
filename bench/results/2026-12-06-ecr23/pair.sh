#!/bin/bash
# pair.sh OUTDIR ROUND VARIANT_IN_WT VARIANT_IN_COPY : runs both benches at the same time under one lock
out=$1; r=$2; vw=$3; vc=$4; mkdir -p $out
for spec in "/work/wt/ecr23 $vw" "/tmp/ecr23copy $vc"; do set -- $spec; rsync -a --delete /tmp/ecr23ab/$2/api/ $1/apps/api/dist/ && rsync -a --delete /tmp/ecr23ab/$2/auth/ $1/packages/auth/dist/; mkdir -p $out/gc-$2-$r; rm -f $out/gc-$2-$r/*; done
flock /work/bench.lock bash -c "
date -u +%H:%M:%S > $out/pair-$r.load; cat /proc/loadavg >> $out/pair-$r.load
(cd /work/wt/ecr23 && GC_STATS_DIR=$out/gc-$vw-$r API_PROCESSES=1 BENCH_DURATION_S=${DUR:-12} node bench/dist/main.js --runs 1 --scenario ${SCEN:-small-pushes} > $out/${SCEN:-small-pushes}-$vw-$r.txt 2>&1) &
(cd /tmp/ecr23copy && GC_STATS_DIR=$out/gc-$vc-$r API_PROCESSES=1 BENCH_DURATION_S=${DUR:-12} node bench/dist/main.js --runs 1 --scenario ${SCEN:-small-pushes} > $out/${SCEN:-small-pushes}-$vc-$r.txt 2>&1) &
wait; cat /proc/loadavg >> $out/pair-$r.load"
