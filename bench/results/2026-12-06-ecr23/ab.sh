#!/bin/bash
# usage: ab.sh OUTDIR SCENARIO ROUNDS VARIANT...
out=$1; scen=$2; rounds=$3; shift 3
cd /work/wt/ecr23
mkdir -p $out
for r in $(seq 1 $rounds); do for v in "$@"; do
  rsync -a --delete /tmp/ecr23ab/$v/api/ apps/api/dist/ && rsync -a --delete /tmp/ecr23ab/$v/auth/ packages/auth/dist/
  g=$out/gc-$v-$r; mkdir -p $g; rm -f $g/*
  f=$out/$scen-$v-$r.txt
  GC_STATS_DIR=$g API_PROCESSES=${APIP:-1} BENCH_DURATION_S=${DUR:-10} flock /work/bench.lock bash -c "date -u +%H:%M:%S; cat /proc/loadavg; node bench/dist/main.js --runs 1 --scenario $scen ${EXTRA:-}; cat /proc/loadavg" > $f 2>&1
  api=$(grep -o 'CPU ms per push: [^;]*' $f | head -1)
  rate=$(grep -o '"pushesPerSecond":[0-9.]*' $f | head -1)
  gc=$(cat $g/*.json 2>/dev/null | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{for(const l of t.split("}{").map((x,i,a)=>(i>0?"{":"")+x+(i<a.length-1?"}":""))){try{const j=JSON.parse(l);const s=j.s;console.log("gc minor",s[1]?.n,(s[1]?.ms??0).toFixed(0)+"ms","inc",s[4]?.n,(s[4]?.ms??0).toFixed(0),"weak",(s[8]?.ms??0).toFixed(0),"cpu",((j.cpu.user+j.cpu.system)/1e6).toFixed(2)+"s")}catch{}}})')
  echo "$v r$r $(sed -n 1,2p $f | tr '\n' ' ') | $rate | $api | $gc | end $(tail -1 $f)"
done; done
