import { UnrecoverableError } from 'bullmq';
import { InvalidLayerException, LongshoreError, UploadNotFoundException, storageLayout } from '@longshore/domain';
import { parseSha256Digest } from '@longshore/digest';
import type { LayerStore, UploadRecord, UploadStore } from '@longshore/metadata';
import type { FinalizeJobData, FinalizeJobResult } from '@longshore/queue';
import { PathNotFoundError } from '@longshore/storage';
import type { Logger } from '@longshore/telemetry';
import { verifyUpload, type VerifyDeps } from './verify-upload.js';

export interface FinalizeDeps extends VerifyDeps {
  uploads: UploadStore;
  layers: LayerStore;
}

/**
 * Finalizes one upload, as a sequence of steps each of which may be re-run after a crash:
 * verify the stored bytes → publish them by rename into content-addressed storage → link the
 * layer into the repository → remove the upload's leftovers → record the final status.
 *
 * Permanent failures (a digest mismatch, a layer that already exists) are recorded and stop
 * retries; anything else is thrown for BullMQ to retry with backoff.
 */
export async function finalizeUpload(
  job: FinalizeJobData,
  deps: FinalizeDeps,
  log: Logger,
): Promise<FinalizeJobResult> {
  const { uploads } = deps;
  const status = await uploads.startFinalizing(job.uploadId);
  if (status === 'missing' || status === 'uploading') {
    throw new UnrecoverableError(
      `UploadNotFoundException: upload ${job.uploadId} is not awaiting finalization (${status})`,
    );
  }
  const record = await uploads.get(job.uploadId);
  if (!record) throw new UnrecoverableError(`UploadNotFoundException: upload ${job.uploadId} expired`);
  if (status === 'completed' || status === 'failed') return resultOf(record);

  try {
    const digest = await publishLayer(record, deps, log);
    await deps.layers.link(record.repositoryName, record.registryId, digest, {
      size: record.bytesReceived,
      uploadId: record.uploadId,
      linkedAt: Date.now(),
    });
    await deps.storage.delete(storageLayout.uploadDir(record.uploadId));
    await uploads.recordCompleted(record.uploadId, digest, record.bytesReceived);
    log.info({ layerDigest: digest, layerSize: record.bytesReceived }, 'layer finalized');
    return { outcome: 'completed', layerDigest: digest, layerSize: record.bytesReceived };
  } catch (err) {
    if (!(err instanceof LongshoreError) || !err.permanent) throw err;
    await deps.storage.delete(storageLayout.uploadDir(record.uploadId));
    await uploads.recordFailed(record.uploadId, err.toRecord());
    log.info({ error: err.name, reason: err.message }, 'layer rejected');
    throw new UnrecoverableError(`${err.name}: ${err.message}`);
  }
}

/**
 * Verifies the stored bytes and publishes them at their content address, unless an earlier run
 * already did: the verified digest is recorded before the rename, so a re-run finds the blob.
 */
async function publishLayer(record: UploadRecord, deps: FinalizeDeps, log: Logger): Promise<string> {
  const dataPath = storageLayout.uploadData(record.uploadId);
  if (record.verifiedDigest) {
    const hex = parseSha256Digest(record.verifiedDigest)!.hex;
    const published = await deps.storage.stat(storageLayout.blob(hex)).then(
      () => true,
      (err: unknown) => (err instanceof PathNotFoundError ? false : Promise.reject(err)),
    );
    const pending = await deps.storage.stat(dataPath).then(
      () => true,
      (err: unknown) => (err instanceof PathNotFoundError ? false : Promise.reject(err)),
    );
    if (published && !pending) {
      log.info({ layerDigest: record.verifiedDigest }, 'resuming: layer already published');
      return record.verifiedDigest;
    }
  }

  const { digest, storedSize } = await verifyUpload(record, await deps.uploads.parts(record.uploadId), deps);
  if (!record.layerDigests?.includes(digest)) {
    throw new InvalidLayerException(
      `The layer's digest is ${digest}, which matches none of the digests given: ${(record.layerDigests ?? []).join(', ')}`,
    );
  }
  // Bytes past the last committed part (a write whose commit failed, retried shorter) are not
  // part of the layer: cut them before the file becomes the content-addressed blob.
  if (storedSize > record.bytesReceived) await deps.storage.truncate(dataPath, record.bytesReceived);
  await deps.storage.sync(dataPath);
  await deps.uploads.annotate(record.uploadId, { verifiedDigest: digest });
  const outcome = await deps.storage.move(dataPath, storageLayout.blob(parseSha256Digest(digest)!.hex));
  log.debug({ layerDigest: digest, outcome }, 'layer published');
  return digest;
}

function resultOf(record: UploadRecord): FinalizeJobResult {
  if (record.status === 'completed') {
    return { outcome: 'completed', layerDigest: record.layerDigest!, layerSize: record.layerSize! };
  }
  const error = record.error ?? new UploadNotFoundException('unknown failure').toRecord();
  return { outcome: 'failed', error: { name: error.name, message: error.message } };
}
