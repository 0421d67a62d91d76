import re, sys
# usage: pair-table.py SUMMARY A B : per round, A and B's ms per push (Redis, worker, API + API), and sums
rows = []; cur = None
for line in open(sys.argv[1]):
    m = re.match(r'round (\d+) (\S+) load (\S+)', line)
    if m: cur = {'round': m.group(1), 'at': m.group(2), 'load': m.group(3)}; rows.append(cur); continue
    m = re.match(r'\s+end (\S+) load (\S+)', line)
    if m: cur['load2'] = m.group(2); continue
    m = re.match(r'\s+(\S+) rate (\S+) cpu/push (\S+) \| redis (\S+), worker (\S+), api-1 (\S+), api-2 (\S+) \|', line)
    if m: cur[m.group(1)] = [float(x) for x in m.group(3, 4, 5, 6, 7)]
a, b = sys.argv[2], sys.argv[3]
tot = {a: [0]*5, b: [0]*5}; lower = 0; finer = [0]
for r in rows:
    if a not in r or b not in r: continue
    fa = lambda v: f"{v[0]:.1f} ({v[1]:.2f}, {v[2]:.2f}, {v[3]:.2f} + {v[4]:.2f})"
    sa, sb = sum(r[a][1:]), sum(r[b][1:])
    print(f"| {r['at'][:5]}, {r['load']} → {r.get('load2','?')} | {fa(r[a])} = {sa:.2f} | {fa(r[b])} = {sb:.2f} |")
    finer[0] += sb < sa
    for k in (a, b): tot[k] = [x + y for x, y in zip(tot[k], r[k])]
    lower += r[b][0] < r[a][0]
n = sum(1 for r in rows if a in r and b in r)
for k in (a, b):
    t = tot[k]; print(f"{k}: mean {t[0]/n:.3f} ms; sums redis {t[1]:.2f} worker {t[2]:.2f} api {t[3]+t[4]:.2f}; sum of parts/n {(t[1]+t[2]+t[3]+t[4])/n:.3f}")
print(f"{b} lower in {lower} of {n} by the bench's rounded figure, in {finer[0]} of {n} by the per-process sum")
