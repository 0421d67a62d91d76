// node publish-ab.mjs <storage dist dir> <rounds> : completeUpload of 103 flushed parts (64 KiB each), wall and CPU per publish
import { randomUUID, randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
const [dist, roundsArg] = process.argv.slice(2);
const { createFilesystemDriver } = await import(`${dist}/index.js`);
const root = mkdtempSync('/tmp/d20/pub-');
const driver = createFilesystemDriver({ rootDir: root });
const walls = [],
  cpus = [];
for (let r = 0; r < Number(roundsArg); r++) {
  const session = await driver.createUpload(randomUUID());
  const parts = [];
  for (let n = 1; n <= 103; n++) {
    const w = await driver.writePart(session, n, randomBytes(65536));
    await driver.localParts.flushPart(session, n);
    parts.push({ ...w, durable: true });
  }
  const digest = `sha256:${createHash('sha256').update(randomBytes(16)).digest('hex')}`;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await driver.completeUpload(session, parts, digest);
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  walls.push(t1 - t0);
  cpus.push((c1.user + c1.system) / 1000);
  await driver.abortUpload(session);
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(
  `${dist.split('/').slice(-1)[0]}: rounds ${walls.length}, wall median ${med(walls).toFixed(2)} ms, CPU median ${med(cpus).toFixed(2)} ms`,
);
rmSync(root, { recursive: true, force: true });
