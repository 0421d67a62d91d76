#!/bin/bash
# usage: pair.sh OUTPREFIX N "LABEL|DIR|ENV" "LABEL|DIR|ENV": N rounds, both variants at the same time under one lock hold
out=$1; n=$2; shift 2
summ() { f=$1; label=$2
  rate=$(grep -o '"pushesPerSecond":[0-9.]*' $f | head -1 | cut -d: -f2)
  cpu=$(grep -o '"cpuMsPerPush":[0-9.]*' $f | head -1 | cut -d: -f2)
  split=$(grep -o 'CPU ms per push: [^;]*' $f | head -1 | sed 's/CPU ms per push: //; s/api-primary 0.00, //')
  jobs=$(grep -o 'finalize jobs [^)]*)' $f | head -1)
  echo "  $label rate $rate cpu/push $cpu | $split | $jobs"
}
for r in $(seq 1 $n); do
  flock /work/bench.lock bash -c '
    out=$0; r=$1; shift 1
    echo "round $r $(date -u +%H:%M:%S) load $(cat /proc/loadavg | cut -d" " -f1-3)"
    pids=""
    for v in "$@"; do label=${v%%|*}; rest=${v#*|}; dir=${rest%%|*}; envs=${rest#*|}
      (cd $dir && env $envs BENCH_DURATION_S=${DUR:-10} node bench/dist/main.js --runs 1 --scenario ${SCEN:-small-pushes-v2} > $out-r$r-$label.txt 2>&1) & pids="$pids $!"
    done
    wait $pids
    echo "  end $(date -u +%H:%M:%S) load $(cat /proc/loadavg | cut -d" " -f1-3)"
  ' $out $r "$@" | tee -a $out-summary.txt
  for v in "$@"; do label=${v%%|*}; summ $out-r$r-$label.txt $label | tee -a $out-summary.txt; done
  # alternate the start order
  set -- "${@:2}" "$1"
done
