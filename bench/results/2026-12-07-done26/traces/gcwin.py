import sys
for f in sys.argv[1:]:
    ev=[]
    for l in open(f):
        p=l.split()
        if len(p)<3: continue
        ev.append((float(p[0]),p[1],' '.join(p[2:])))
    ev.sort()
    bench_pid=[e[1] for e in ev if e[2].startswith('bench')][0]
    starts=[e[0] for e in ev if e[2].startswith('bench put-start')]
    ends=[e for e in ev if e[2].startswith('bench put-answered')]
    for s,(t,_,lab) in zip(starts,ends):
        gcs=[]
        for e in ev:
            if 'gc' not in e[2] or e[1]!=bench_pid: continue
            dur=float(e[2].split('dur=')[1].split()[0])
            if e[0] < t and e[0]+dur > s - 0: gcs.append(f"{e[0]-s:+.1f}ms {e[2]}")
        print(f"{f.split('/')[-1]} {lab.split()[-1]:>7} {gcs}")
