import type { PushPath } from '../push-layer.js';
import { boundForBytes, type RunResult, type ScenarioDefinition } from '../scenario.js';
import { megabytesPerSecond } from '../stats.js';
import { prepareLayer, pushDetail, pushOneLayer } from './push-one-layer.js';

/** One client, one large layer: over the ECR JSON operations, or over the raw /v1 part upload. */
function largeLayer(name: 'large-layer' | 'large-layer-raw', path: PushPath): ScenarioDefinition {
  return {
    name,
    summary:
      path === 'ecr'
        ? 'one client pushes one large layer with UploadLayerPart (base64 in JSON, 10 MiB parts, one after the other), then CompleteLayerUpload'
        : 'the same through the raw path: PUT /v1/uploads/{id}/parts (Content-Range, raw body), then POST …/complete and long polls of the status until completed',
    serviceEnv: { VERIFY_MODE: 'parts' },
    figures: [
      { name: 'uploadMBps', label: 'upload rate', unit: 'MB/s', target: { min: 300 } },
      {
        name: 'completeMs',
        label: path === 'ecr' ? 'CompleteLayerUpload' : 'complete + status polls',
        unit: 'ms',
        target: { max: 25 },
      },
    ],
    timeoutMs: (sizes) => boundForBytes(sizes.largeLayerBytes),
    async run(ctx): Promise<RunResult> {
      const layer = await prepareLayer(ctx, name, ctx.sizes.largeLayerBytes);
      const result = await pushOneLayer(ctx, name, layer, path);
      return {
        figures: { uploadMBps: megabytesPerSecond(result.bytes, result.uploadMs), completeMs: result.completeMs },
        detail: pushDetail(result),
      };
    },
  };
}

export const largeLayerEcr = largeLayer('large-layer', 'ecr');
export const largeLayerRaw = largeLayer('large-layer-raw', 'raw');
