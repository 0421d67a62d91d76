import { boundForBytes, type RunResult, type ScenarioDefinition } from '../scenario.js';
import { megabytesPerSecond } from '../stats.js';
import { prepareLayer, pushDetail, pushOneLayer } from './push-one-layer.js';

/** The memory figures themselves are read by the runner (VmHWM) from the processes it started. */
export const memory: ScenarioDefinition = {
  name: 'memory',
  summary:
    'peak RSS (VmHWM) of the API and the worker while one very large layer is pushed (10 MiB parts) and finalized',
  serviceEnv: { VERIFY_MODE: 'parts' },
  localOnly: true,
  figures: [
    { name: 'apiPeakMiB', label: 'API peak RSS', unit: 'MiB', target: { max: 150 } },
    { name: 'workerPeakMiB', label: 'worker peak RSS', unit: 'MiB', target: { max: 150 } },
    { name: 'redisPeakMiB', label: 'redis-server peak RSS', unit: 'MiB' },
    { name: 'uploadMBps', label: 'upload rate', unit: 'MB/s' },
    { name: 'completeMs', label: 'CompleteLayerUpload', unit: 'ms' },
  ],
  timeoutMs: (sizes) => boundForBytes(sizes.memoryLayerBytes),
  async run(ctx): Promise<RunResult> {
    const layer = await prepareLayer(ctx, 'memory', ctx.sizes.memoryLayerBytes);
    const result = await pushOneLayer(ctx, 'memory', layer, 'ecr');
    return {
      figures: { uploadMBps: megabytesPerSecond(result.bytes, result.uploadMs), completeMs: result.completeMs },
      detail: pushDetail(result),
    };
  },
};
