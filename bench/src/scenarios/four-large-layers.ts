import { pushLayer, uploadProgress, type PushContext, type PushPath } from '../push-layer.js';
import { boundForBytes, cpuPerPushFigure, type RunResult, type ScenarioDefinition } from '../scenario.js';
import { megabytesPerSecond } from '../stats.js';
import type { SyntheticLayer } from '../synthetic-layers.js';
import { prepareLayer, warmUp } from './push-one-layer.js';

const CONCURRENT_LAYERS = 4;

export const fourLargeLayers: ScenarioDefinition = {
  name: 'four-large-layers',
  summary:
    'four clients push one large layer each at the same time over /v2 (POST, one PATCH per 10 MiB chunk, PUT ?digest=), ' +
    'the same client as the peer; then the same four over the ECR JSON door (10 MiB parts, base64) for information; ' +
    'aggregate rate from the first part sent to the last part answered',
  serviceEnv: { VERIFY_MODE: 'parts' },
  figures: [
    {
      name: 'aggregateMBps',
      label: 'aggregate upload rate',
      unit: 'MB/s',
      target: { min: 500 },
      peerTargets: [{ minTimesPeer: 1.1 }],
    },
    { name: 'completeMsMax', label: 'slowest final PUT', unit: 'ms' },
    cpuPerPushFigure,
    { name: 'ecrAggregateMBps', label: 'ECR door: aggregate upload rate', unit: 'MB/s' },
    { name: 'ecrCompleteMsMax', label: 'ECR door: slowest CompleteLayerUpload', unit: 'ms' },
    { name: 'ecrCpuMsPerPush', label: 'ECR door: server CPU per push', unit: 'ms' },
  ],
  timeoutMs: (sizes) => 2 * boundForBytes(CONCURRENT_LAYERS * sizes.fourLayersBytes),
  // The issue compares registries with the same /v2 client; the ECR door's own yardstick is its
  // 1 GiB rate against Longshore's /v2 (large-layer), so its four-layer figures are information.
  async run(ctx) {
    const v2 = await pushFourLayers(ctx, 'v2');
    const ecr = await pushFourLayers(ctx, 'ecr');
    return {
      figures: {
        ...v2.figures,
        ecrAggregateMBps: ecr.figures.aggregateMBps!,
        ecrCompleteMsMax: ecr.figures.completeMsMax!,
        ecrCpuMsPerPush: ecr.figures.cpuMsPerPush!,
      },
      detail: { ...v2.detail, ecr: ecr.detail },
    };
  },
  peer: {
    summary: 'four layers of the same size at once, each POST + one PATCH per 10 MiB chunk + PUT ?digest=',
    run: (ctx) => pushFourLayers(ctx, 'v2'),
  },
};

async function pushFourLayers(ctx: PushContext, path: PushPath): Promise<RunResult> {
  await warmUp(ctx, path);
  const layers: SyntheticLayer[] = [];
  for (let i = 0; i < CONCURRENT_LAYERS; i += 1)
    layers.push(await prepareLayer(ctx, 'four-large-layers', ctx.sizes.fourLayersBytes));
  const total = layers.reduce((sum, l) => sum + l.size, 0);
  const sent = new Array<number>(CONCURRENT_LAYERS).fill(0);
  const startedAt = performance.now();
  // Four clients, as the scenario says: over /v2 each has its own keep-alive connection (four CI
  // jobs pushing), so a service with several processes sees four connections, not requests that
  // hop between the most recently freed sockets of one shared pool. The same for the peer.
  const clients = layers.map(() => (path === 'v2' ? ctx.oci.ownClient() : undefined));
  // Each connection is opened (by a first request) before the next, as four CI jobs connect (not
  // in the same millisecond); the launcher hands each to the API process with the fewest open.
  for (const client of clients) await client?.probe();
  const cpu = await ctx.cpuWindow();
  const pushes = Promise.all(
    layers.map((layer, i) =>
      pushLayer(clients[i] ? { ...ctx, oci: clients[i] } : ctx, layer, path, {
        onBytes: (bytes) => {
          sent[i] = bytes;
          ctx.progress(
            uploadProgress(
              'four-large-layers',
              startedAt,
              sent.reduce((a, b) => a + b, 0),
              total,
            ),
          );
        },
      }),
    ),
  );
  const results = await pushes.finally(() => {
    for (const client of clients) client?.close();
  });
  const cpuUse = await cpu.stop();
  const first = Math.min(...results.map((r) => r.uploadStartedAt));
  const last = Math.max(...results.map((r) => r.uploadEndedAt));
  return {
    figures: {
      aggregateMBps: megabytesPerSecond(total, last - first),
      completeMsMax: Math.max(...results.map((r) => r.completeMs)),
      cpuMsPerPush: cpuUse.serverMs / CONCURRENT_LAYERS,
    },
    detail: {
      layers: CONCURRENT_LAYERS,
      bytesEach: ctx.sizes.fourLayersBytes,
      perLayerMBps: results.map((r) => Math.round(megabytesPerSecond(r.bytes, r.uploadMs))),
      completeMs: results.map((r) => Math.round(r.completeMs)),
      completeRetries: results.map((r) => r.completeRetries ?? 0),
      cpuPercent: cpuUse.percent,
    },
  };
}
