import sys,glob,statistics as st
a,b=sys.argv[1],sys.argv[2]
for pat in sys.argv[3:]:
    vals=[]
    for f in sorted(glob.glob(pat)):
        ev=[]
        for l in open(f):
            p=l.split()
            if len(p)<4: continue
            ev.append((float(p[0]),' '.join(p[2:4]),l))
        ev.sort()
        big=False; ta=None
        for t,lab,l in ev:
            if lab=='w loaded': big='parts=103' in l
            if not big: continue
            if lab==a: ta=t
            if lab==b and ta is not None: vals.append(t-ta); ta=None
    print(pat, f"{a} -> {b}: n={len(vals)} median {st.median(vals):.2f} mean {st.mean(vals):.2f}", ' '.join('%.1f'%v for v in sorted(vals)))
