import http from 'node:http';
import { createHash } from 'node:crypto';
const mode = process.argv[2]; const GiB = 1 << 30;
const slab = new Uint8Array(1 << 20); let fill = 0;
function sink(chunk, h) { h.update(chunk); let o = 0; while (o < chunk.length) { const t = Math.min(slab.length - fill, chunk.length - o); slab.set(chunk.subarray(o, o + t), fill); fill = (fill + t) % slab.length; o += t; } }
async function* gen(src) { const it = src[Symbol.asyncIterator](); for (;;) { const r = await new Promise((res, rej) => it.next().then(res, rej)); if (r.done) return; yield r.value; } }
function flowing(req) {
  const q = []; let waiting, ended = false, err;
  req.on('data', (c) => { if (waiting) { const w = waiting; waiting = undefined; w.res({ value: c, done: false }); } else { q.push(c); if (q.length > 4) req.pause(); } });
  req.on('end', () => { ended = true; if (waiting) waiting.res({ value: undefined, done: true }); });
  req.on('error', (e) => { err = e; if (waiting) waiting.rej(e); });
  return { [Symbol.asyncIterator]() { return this; }, next() {
    if (q.length) { const v = q.shift(); if (q.length === 0 && req.isPaused()) req.resume(); return Promise.resolve({ value: v, done: false }); }
    if (err) return Promise.reject(err); if (ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((res, rej) => { waiting = { res, rej }; }); } };
}
let chunks = 0;
const server = http.createServer(async (req, res) => {
  const h = createHash('sha256'); const t0 = process.cpuUsage();
  if (mode === 'raw' || mode === 'nohash') { req.on('data', (c) => { chunks++; if (mode === 'raw') sink(c, h); }); await new Promise((r) => req.on('end', r)); const u = process.cpuUsage(t0); res.end(JSON.stringify({ mode, ms: (u.user + u.system) / 1000, user: u.user/1000, sys: u.system/1000, chunks })); return; }
  const src = mode === 'flow' ? gen(flowing(req)) : gen(req);
  for await (const c of src) { chunks++; sink(c, h); }
  const u = process.cpuUsage(t0); res.end(JSON.stringify({ mode, ms: (u.user + u.system) / 1000, user: u.user/1000, sys: u.system/1000, chunks }));
});
server.listen(0, async () => {
  const port = server.address().port; const buf = Buffer.alloc(1 << 20, 7);
  const { spawn } = await import('node:child_process');
  const client = spawn(process.execPath, ['-e', `const http=require('http');const b=Buffer.alloc(1<<20,7);const r=http.request({port:${port},method:'PATCH',headers:{'content-length':${GiB}}},res=>{let d='';res.on('data',x=>d+=x);res.on('end',()=>{console.log(d);});});let n=0;(function w(){while(n<1024){n++;if(!r.write(b)){r.once('drain',w);return;}}r.end();})();`], { stdio: ['ignore', 'inherit', 'inherit'] });
  client.on('exit', () => server.close());
});
