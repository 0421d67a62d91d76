import { pushLayer, uploadProgress, type PushContext, type PushPath } from '../push-layer.js';
import { boundForBytes, cpuPerPushFigure, type RunResult, type ScenarioDefinition } from '../scenario.js';
import { megabytesPerSecond } from '../stats.js';
import type { SyntheticLayer } from '../synthetic-layers.js';
import { prepareLayer } from './push-one-layer.js';

const CONCURRENT_LAYERS = 4;

export const fourLargeLayers: ScenarioDefinition = {
  name: 'four-large-layers',
  summary:
    'four clients push one large layer each at the same time (ECR JSON, 10 MiB parts); ' +
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
    { name: 'completeMsMax', label: 'slowest CompleteLayerUpload', unit: 'ms' },
    cpuPerPushFigure,
  ],
  timeoutMs: (sizes) => boundForBytes(CONCURRENT_LAYERS * sizes.fourLayersBytes),
  run: (ctx) => pushFourLayers(ctx, 'ecr'),
  peer: {
    summary: 'four layers of the same size at once, each POST + one PATCH per 10 MiB chunk + PUT ?digest=',
    run: (ctx) => pushFourLayers(ctx, 'v2'),
  },
};

async function pushFourLayers(ctx: PushContext, path: PushPath): Promise<RunResult> {
  const layers: SyntheticLayer[] = [];
  for (let i = 0; i < CONCURRENT_LAYERS; i += 1)
    layers.push(await prepareLayer(ctx, 'four-large-layers', ctx.sizes.fourLayersBytes));
  const total = layers.reduce((sum, l) => sum + l.size, 0);
  const sent = new Array<number>(CONCURRENT_LAYERS).fill(0);
  const startedAt = performance.now();
  const cpu = await ctx.cpuWindow();
  const results = await Promise.all(
    layers.map((layer, i) =>
      pushLayer(ctx, layer, path, {
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
