import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpTarget } from '../http-target.js';
import { OciClient } from '../oci-client.js';
import { startPeerRegistry } from '../peer-registry.js';
import type { RunResult, ScenarioContext, ScenarioDefinition } from '../scenario.js';
import { boundForBytes } from '../scenario.js';
import { megabytesPerSecond } from '../stats.js';
import { prepareLayer, pushOneLayer } from './push-one-layer.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The upstream: BENCH_PEER_REGISTRY, else ../shared/bin/registry-3 when it exists. */
function upstreamBinary(ctx: ScenarioContext): string {
  if (ctx.peerRegistryBinary) return ctx.peerRegistryBinary;
  for (let dir = path.dirname(repoRoot); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'bin', 'registry-3');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(
    'the pull-through scenario needs a CNCF distribution binary as its upstream: set BENCH_PEER_REGISTRY',
  );
}

/** GET a blob and time its body to the last byte. */
async function timedGet(http: HttpTarget, blobPath: string, headers: Record<string, string>, signal: AbortSignal) {
  const started = performance.now();
  const res = await http.request('GET', blobPath, headers, [], { signal });
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${blobPath} answered ${res.status}: ${res.body.subarray(0, 300)}`);
  return { bytes: res.body.length, ms };
}

/**
 * Issue 20: a large layer pulled through a pull-through cache rule for the first time (fetched
 * from the upstream, streamed to the client while it is stored and verified) against the same
 * layer pulled straight from the upstream, in the same run. The upstream is a CNCF distribution
 * registry started for the run on loopback; the layer is pushed to it first (untimed).
 */
export const pullThrough: ScenarioDefinition = {
  name: 'pull-through',
  summary:
    'one large layer pushed to a distribution registry, pulled from it directly, then through a pull-through cache rule for the first time (GET /v2/<prefix>/<repo>/blobs/<digest>)',
  serviceEnv: {},
  figures: [
    { name: 'directMBps', label: 'pull straight from the upstream', unit: 'MB/s' },
    { name: 'pullThroughMBps', label: 'first pull through the cache', unit: 'MB/s' },
    { name: 'pullThroughShare', label: 'through the cache ÷ direct', unit: 'ratio', target: { min: 0.8 } },
  ],
  timeoutMs: (sizes) => boundForBytes(sizes.pullThroughLayerBytes) * 2,
  async run(ctx): Promise<RunResult> {
    if (!ctx.dataRoot || !ctx.http)
      throw new Error('the pull-through scenario runs against the bench’s own service only');
    const upstream = await startPeerRegistry(upstreamBinary(ctx), ctx.dataRoot);
    const http = new HttpTarget(upstream.endpoint, 4);
    try {
      const layer = await prepareLayer(ctx, 'pull-through', ctx.sizes.pullThroughLayerBytes);
      const repository = `bench/${ctx.repositoryName}`;
      await pushOneLayer(
        { ...ctx, oci: new OciClient(http), repositoryName: repository },
        'upstream push',
        layer,
        'v2',
      );
      ctx.progress('pull-through: pulling straight from the upstream');
      const direct = await timedGet(http, `/v2/${repository}/blobs/${layer.digest}`, {}, ctx.signal);
      const prefix = `ptc${Math.random().toString(36).slice(2, 8)}`;
      await ctx.ecr.call('CreatePullThroughCacheRule', {
        ecrRepositoryPrefix: prefix,
        upstreamRegistryUrl: upstream.endpoint.origin,
      });
      ctx.progress('pull-through: pulling through the cache for the first time');
      const through = await timedGet(ctx.http, `/v2/${prefix}/${repository}/blobs/${layer.digest}`, {}, ctx.signal);
      if (through.bytes !== layer.size || direct.bytes !== layer.size) {
        throw new Error(`pulled ${through.bytes} and ${direct.bytes} bytes of a ${layer.size}-byte layer`);
      }
      const directMBps = megabytesPerSecond(direct.bytes, direct.ms);
      const pullThroughMBps = megabytesPerSecond(through.bytes, through.ms);
      return {
        figures: { directMBps, pullThroughMBps, pullThroughShare: pullThroughMBps / directMBps },
        detail: { bytes: layer.size, directMs: Math.round(direct.ms), pullThroughMs: Math.round(through.ms) },
      };
    } finally {
      http.close();
      await upstream.stop();
    }
  },
};
