import { readFileSync } from 'node:fs';

/**
 * `node bench/dist/profile-top.js FILE.cpuprofile [N]`: the N functions (default 25) with the most
 * self time in a V8 CPU profile (from `node --cpu-prof`, e.g. `npm run bench -- --cpu-prof DIR`),
 * with their share of all samples. For the whole picture load the file into Chrome DevTools
 * (Performance → Load profile) or speedscope.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function topSelfTime(profile: CpuProfile, count: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    total += dt;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const where = frame.url
      ? `${frame.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  });
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([key, us]) =>
        `${((100 * us) / (total || 1)).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`,
    );
}

const [file, n] = process.argv.slice(2);
if (file) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  for (const line of topSelfTime(profile, Number(n ?? 25))) console.log(line);
} else {
  console.error('usage: node bench/dist/profile-top.js FILE.cpuprofile [N]');
  process.exitCode = 2;
}
