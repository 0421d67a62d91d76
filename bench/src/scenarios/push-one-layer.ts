import { pushLayer, uploadProgress, type PushContext, type PushPath, type PushResult } from '../push-layer.js';
import type { ScenarioContext } from '../scenario.js';
import type { SyntheticLayer } from '../synthetic-layers.js';

/** Creates a layer, showing the (untimed) digest pre-pass on the status line. */
export function prepareLayer(
  ctx: Pick<ScenarioContext, 'layers' | 'signal' | 'progress'>,
  label: string,
  size: number,
): Promise<SyntheticLayer> {
  return ctx.layers.create(size, ctx.signal, (f) =>
    ctx.progress(`${label}: computing the layer digest ${(f * 100).toFixed(0)}%`),
  );
}

/** One client pushing one layer, with CPU shares per phase and the upload rate on the status line. */
export function pushOneLayer(
  ctx: PushContext,
  label: string,
  layer: SyntheticLayer,
  path: PushPath,
): Promise<PushResult> {
  const startedAt = performance.now();
  return pushLayer(ctx, layer, path, {
    measureCpu: true,
    onBytes: (sent) => ctx.progress(uploadProgress(label, startedAt, sent, layer.size)),
  });
}

/** What a run's JSON detail keeps of a push. */
export function pushDetail(result: PushResult): Record<string, unknown> {
  return {
    bytes: result.bytes,
    parts: result.parts,
    uploadMs: Math.round(result.uploadMs),
    ...(result.completeRetries !== undefined ? { completeRetries: result.completeRetries } : {}),
    ...(result.statusPolls !== undefined ? { statusPolls: result.statusPolls } : {}),
    ...(result.cpuPercent ? { cpuPercent: result.cpuPercent } : {}),
  };
}
