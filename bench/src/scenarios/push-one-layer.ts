import { pushLayer, uploadProgress, type PushContext, type PushPath, type PushResult } from '../push-layer.js';
import type { ScenarioContext } from '../scenario.js';
import { megabytesPerSecond } from '../stats.js';
import type { SyntheticLayer } from '../synthetic-layers.js';

/**
 * Creates a layer, showing the (untimed) digest pre-pass on the status line; the body hashes a
 * signing ECR client starts from are computed here too, outside the timed window.
 */
export async function prepareLayer(
  ctx: Pick<ScenarioContext, 'layers' | 'signal' | 'progress'>,
  label: string,
  size: number,
): Promise<SyntheticLayer> {
  const layer = await ctx.layers.create(size, ctx.signal, (f) =>
    ctx.progress(`${label}: computing the layer digest ${(f * 100).toFixed(0)}%`),
  );
  for (const index of new Set([0, 1, 2, 3, layer.partCount - 1]))
    if (index < layer.partCount) layer.part(index).blobHash();
  return layer;
}

/**
 * One untimed push of a two-part layer through the same door before the measured push, on both
 * registries alike: the figures are then a running service's, not its first push's (Redis's script
 * cache, code compiled on first use, modules loaded lazily).
 */
export async function warmUp(ctx: PushContext, path: PushPath): Promise<void> {
  const layer = await ctx.layers.create(2 * ctx.layers.partBytes, ctx.signal);
  await pushLayer(ctx, layer, path, {});
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

/** The figures of one pushed layer: upload rate, completion, and the server's CPU for the whole push. */
export function layerFigures(result: PushResult): Record<string, number> {
  return {
    uploadMBps: megabytesPerSecond(result.bytes, result.uploadMs),
    completeMs: result.completeMs,
    ...(result.serverCpuMs !== undefined ? { cpuMsPerPush: result.serverCpuMs } : {}),
  };
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
