import type { CpuWindow } from './process-stats.js';
import type { ScenarioContext } from './scenario.js';
import type { SyntheticLayer } from './synthetic-layers.js';
import { settleClientGc } from './settle-client.js';
import { megabytesPerSecond } from './stats.js';

/** ECR JSON operations, Longshore's raw `/v1` part upload, or the OCI API (`/v2` PATCH chunks). */
export type PushPath = 'ecr' | 'raw' | 'v2';

export interface PushResult {
  bytes: number;
  parts: number;
  /** performance.now() when the first part was sent and when the last one was answered. */
  uploadStartedAt: number;
  uploadEndedAt: number;
  uploadMs: number;
  /** CompleteLayerUpload (ecr), POST …/complete plus the long polls until completed (raw), the final PUT (v2). */
  completeMs: number;
  /** ServerException answers to CompleteLayerUpload that were retried (ecr only). */
  completeRetries?: number;
  /** Status long polls until the upload was completed (raw only). */
  statusPolls?: number;
  /** Percent of a core per process, during the upload and during the completion. */
  cpuPercent?: { upload: Record<string, number>; complete: Record<string, number> };
  /** CPU milliseconds of every server process over the upload and the completion (see CpuUse). */
  serverCpuMs?: number;
}

const REQUEST_OPTIONS = { idleTimeoutMs: 120_000 };

/** What a push needs: Longshore's own APIs for the ecr and raw paths, the OCI API for v2. */
export type PushContext = Omit<ScenarioContext, 'ecr' | 'v1'> & Partial<Pick<ScenarioContext, 'ecr' | 'v1'>>;

/**
 * One client pushing one layer as docker does against ECR: initiate, the parts one after the
 * other, then complete; over the ECR JSON operations or the raw `/v1` part upload.
 */
export async function pushLayer(
  ctx: PushContext,
  layer: SyntheticLayer,
  path: PushPath,
  options: { measureCpu?: boolean; onBytes?(bytes: number): void } = {},
): Promise<PushResult> {
  if (path === 'v2') return pushLayerV2(ctx, layer, options);
  const { ecr, v1, repositoryName, signal } = ctx;
  if (!ecr || !v1) throw new Error(`the ${path} path needs Longshore's ECR and /v1 APIs`);
  const request = { ...REQUEST_OPTIONS, signal };
  const uploadId = await ecr.initiate(repositoryName, request);

  let cpu: CpuWindow | undefined = options.measureCpu ? await ctx.cpuWindow() : undefined;
  const uploadStartedAt = performance.now();
  for (let index = 0; index < layer.partCount; index += 1) {
    const part = layer.part(index);
    if (path === 'ecr')
      await ecr.uploadPart(repositoryName, uploadId, part.first, part.last, [part.base64], request, part.blobHash);
    else await v1.putPart(uploadId, part.first, part.last, part.bytes, request);
    options.onBytes?.(part.last + 1);
  }
  const uploadEndedAt = performance.now();
  const uploadCpu = await cpu?.stop();

  if (options.measureCpu) settleClientGc();
  cpu = options.measureCpu ? await ctx.cpuWindow() : undefined;
  const completeStartedAt = performance.now();
  const completion =
    path === 'ecr'
      ? { completeRetries: (await ecr.complete(repositoryName, uploadId, layer.digest, request)).retries }
      : { statusPolls: (await v1.completeAndWait(repositoryName, uploadId, layer.digest, request)).polls };
  const completeMs = performance.now() - completeStartedAt;
  const completeCpu = await cpu?.stop();

  return {
    bytes: layer.size,
    parts: layer.partCount,
    uploadStartedAt,
    uploadEndedAt,
    uploadMs: uploadEndedAt - uploadStartedAt,
    completeMs,
    ...completion,
    ...(uploadCpu && completeCpu
      ? {
          cpuPercent: { upload: uploadCpu.percent, complete: completeCpu.percent },
          serverCpuMs: uploadCpu.serverMs + completeCpu.serverMs,
        }
      : {}),
  };
}

/**
 * The OCI push of one layer, chunk by chunk as docker pushes: POST, one PATCH per part, then
 * PUT ?digest= without a body, whose answer is the completion.
 */
async function pushLayerV2(
  ctx: PushContext,
  layer: SyntheticLayer,
  options: { measureCpu?: boolean; onBytes?(bytes: number): void },
): Promise<PushResult> {
  const { oci, repositoryName, signal } = ctx;
  const request = { ...REQUEST_OPTIONS, signal };
  let location = await oci.startUpload(repositoryName, request);

  let cpu: CpuWindow | undefined = options.measureCpu ? await ctx.cpuWindow() : undefined;
  const uploadStartedAt = performance.now();
  for (let index = 0; index < layer.partCount; index += 1) {
    const part = layer.part(index);
    location = await oci.patchChunk(location, part.first, part.last, [part.bytes], request);
    options.onBytes?.(part.last + 1);
  }
  const uploadEndedAt = performance.now();
  const uploadCpu = await cpu?.stop();

  if (options.measureCpu) settleClientGc();
  cpu = options.measureCpu ? await ctx.cpuWindow() : undefined;
  const completeStartedAt = performance.now();
  await oci.finishUpload(location, layer.digest, [], request);
  const completeMs = performance.now() - completeStartedAt;
  const completeCpu = await cpu?.stop();
  return {
    bytes: layer.size,
    parts: layer.partCount,
    uploadStartedAt,
    uploadEndedAt,
    uploadMs: uploadEndedAt - uploadStartedAt,
    completeMs,
    ...(uploadCpu && completeCpu
      ? {
          cpuPercent: { upload: uploadCpu.percent, complete: completeCpu.percent },
          serverCpuMs: uploadCpu.serverMs + completeCpu.serverMs,
        }
      : {}),
  };
}

/** "large-layer: 412/1024 MiB at 95 MB/s" for the status line. */
export function uploadProgress(label: string, startedAt: number, sent: number, total: number): string {
  const rate = megabytesPerSecond(sent, performance.now() - startedAt);
  return `${label}: ${(sent / 2 ** 20).toFixed(0)}/${(total / 2 ** 20).toFixed(0)} MiB at ${rate.toFixed(0)} MB/s`;
}
