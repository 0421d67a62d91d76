import type { PushPath } from '../push-layer.js';
import {
  boundForBytes,
  cpuPerPushFigure,
  type PeerWorkload,
  type RunResult,
  type ScenarioDefinition,
} from '../scenario.js';
import { layerFigures, prepareLayer, pushDetail, pushOneLayer } from './push-one-layer.js';

const doors: Record<PushPath, { name: 'memory' | 'memory-raw' | 'memory-v2'; door: string }> = {
  ecr: { name: 'memory', door: 'the ECR JSON operations' },
  raw: { name: 'memory-raw', door: 'the raw /v1 part upload' },
  v2: { name: 'memory-v2', door: 'the OCI door (/v2 PATCH chunks; n/a while the target answers 404 on /v2/)' },
};

/** The reference registry's peak RSS (its one process) while it takes the same layer. */
const memoryPeer: PeerWorkload = {
  summary: 'one layer of the same size, POST + PATCH chunks + PUT; its peak RSS is shown against the API’s',
  async run(ctx): Promise<RunResult> {
    const layer = await prepareLayer(ctx, 'peer', ctx.sizes.memoryLayerBytes);
    const result = await pushOneLayer(ctx, 'peer', layer, 'v2');
    return {
      figures: layerFigures(result),
      detail: pushDetail(result),
    };
  },
};

/** Peak memory per door. The memory figures themselves are read by the runner (VmHWM) from the processes it started. */
function memoryThrough(path: PushPath): ScenarioDefinition {
  const { name, door } = doors[path];
  return {
    name,
    summary: `peak RSS (VmHWM) of the API and the worker while one very large layer is pushed through ${door} (10 MiB parts) and finalized`,
    serviceEnv: { VERIFY_MODE: 'parts' },
    localOnly: true,
    figures: [
      { name: 'apiPeakMiB', label: 'API peak RSS', unit: 'MiB', target: { max: 150 } },
      { name: 'workerPeakMiB', label: 'worker peak RSS', unit: 'MiB', target: { max: 150 } },
      { name: 'redisPeakMiB', label: 'redis-server peak RSS', unit: 'MiB' },
      { name: 'uploadMBps', label: 'upload rate', unit: 'MB/s' },
      { name: 'completeMs', label: 'completion', unit: 'ms' },
      cpuPerPushFigure,
    ],
    timeoutMs: (sizes) => boundForBytes(sizes.memoryLayerBytes),
    async run(ctx): Promise<RunResult> {
      if (path === 'v2') await ctx.oci.probe({ signal: ctx.signal });
      const layer = await prepareLayer(ctx, name, ctx.sizes.memoryLayerBytes);
      const result = await pushOneLayer(ctx, name, layer, path);
      return {
        figures: layerFigures(result),
        detail: pushDetail(result),
      };
    },
    peer: memoryPeer,
  };
}

export const memory = memoryThrough('ecr');
export const memoryRaw = memoryThrough('raw');
export const memoryV2 = memoryThrough('v2');
