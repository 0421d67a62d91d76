import sys, statistics as st
marks=['api put-in','api session-read','api begin-script-done','api job-added','w job-start','w startFinalizing-reply','w loaded','w verified','w publish-start','w fsyncs-done','w shard-published','w placed','w finish-send','w finished-script','api answered','bench put-answered']
rows=[]
for f in sys.argv[1:]:
    ev=[]
    for l in open(f):
        p=l.split()
        if len(p)<3: continue
        lab=' '.join(p[2:4]) if p[2] in ('api','w','bench') else p[2]
        ev.append((float(p[0]),lab,' '.join(p[4:])))
    ev.sort()
    starts=[i for i,e in enumerate(ev) if e[1]=='bench put-start']
    for i in starts:
        t0=ev[i][0]
        end=next(j for j in range(i,len(ev)) if ev[j][1]=='bench put-answered')
        window=ev[i:end+1]
        if not any(e[1]=='w loaded' and 'parts=103' in e[2] for e in window): continue
        r={'total':ev[end][0]-t0,'benchcpu':float(ev[end][2].split('benchcpu=')[1].split()[0]) if 'benchcpu' in ev[end][2] else -1}
        for m in marks:
            ts=[e[0]-t0 for e in window if e[1]==m]
            if ts: r[m]=ts[0]
        rows.append(r)
print(f"{len(rows)} pushes; total median {st.median(r['total'] for r in rows):.2f} ms; runs: {' '.join('%.1f'%r['total'] for r in rows)}")
prev='start'
for m in marks:
    ds=[]
    for r in rows:
        if m in r:
            p=0 if prev=='start' else r.get(prev)
            if p is not None: ds.append(r[m]-p)
    if ds: print(f"  {prev:>24} -> {m:<24} median {st.median(ds):6.2f}  max {max(ds):6.2f}")
    prev=m
print('  bench cpu in window (ms):', ' '.join('%.1f'%r['benchcpu'] for r in rows))
