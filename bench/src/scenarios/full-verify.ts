import { boundForBytes, type RunResult, type ScenarioDefinition } from '../scenario.js';
import { megabytesPerSecond } from '../stats.js';
import { prepareLayer, pushDetail, pushOneLayer } from './push-one-layer.js';

export const fullVerify: ScenarioDefinition = {
  name: 'full-verify',
  summary:
    'worker started with VERIFY_MODE=full (re-reads and re-hashes the stored layer); one layer pushed; ' +
    'verification rate = layer bytes / CompleteLayerUpload time, as a ratio to node:crypto SHA-256 on one core',
  serviceEnv: { VERIFY_MODE: 'full' },
  figures: [
    { name: 'verifyMBps', label: 'verification rate', unit: 'MB/s', target: { minTimesSha256: 0.85 } },
    { name: 'completeMs', label: 'CompleteLayerUpload', unit: 'ms' },
    { name: 'uploadMBps', label: 'upload rate', unit: 'MB/s' },
  ],
  timeoutMs: (sizes) => boundForBytes(sizes.fullVerifyBytes),
  async run(ctx): Promise<RunResult> {
    const layer = await prepareLayer(ctx, 'full-verify', ctx.sizes.fullVerifyBytes);
    const result = await pushOneLayer(ctx, 'full-verify', layer, 'ecr');
    return {
      figures: {
        verifyMBps: megabytesPerSecond(result.bytes, result.completeMs),
        completeMs: result.completeMs,
        uploadMBps: megabytesPerSecond(result.bytes, result.uploadMs),
      },
      detail: pushDetail(result),
    };
  },
};
