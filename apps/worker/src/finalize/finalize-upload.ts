import { InvalidLayerException, LongshoreError, isUploadFinished, type ErrorRecord } from '@longshore/domain';
import { digestAlgorithmOf } from '@longshore/digest';
import type { BlobIndex, LayerStore, PartRecord, UploadRecord, UploadStore } from '@longshore/metadata';
import { type BlobLocation, sessionFromJson, type UploadSession } from '@longshore/storage';
import type { Logger } from '@longshore/telemetry';
import { hashPublishedBlob, verifyPublishedBlob } from './verify-published-blob.js';
import { needsBlobRehash, verifyUpload, type VerifyDeps } from './verify-upload.js';

export interface FinalizeDeps extends VerifyDeps {
  uploads: Pick<UploadStore, 'startFinalizing' | 'get' | 'parts' | 'annotate' | 'checkedParts'>;
  layers: Pick<LayerStore, 'link'>;
  blobs: Pick<BlobIndex, 'claim' | 'retain'>;
  /**
   * Resolves once the writes so far (blob index, layer link) are on Redis replicas
   * (REDIS_WAIT_REPLICAS); throws a transient error when they are not in time. Called before a
   * completion is settled, so nothing is acknowledged that a failover could lose.
   */
  replicated?: () => Promise<void>;
}

/**
 * How a finalization ended, in domain terms. `completed` and `failed` are outcomes to settle
 * (record, publish, call back: see settleUpload); `gone` means there is nothing to settle (the
 * upload expired, or was never handed over). A transient failure is thrown, for a retry.
 */
export type FinalizeOutcome =
  | { outcome: 'completed'; layerDigest: string; layerSize: number; callbackUrl: string | null }
  | { outcome: 'failed'; error: ErrorRecord; callbackUrl: string | null }
  | { outcome: 'gone'; reason: string };

/**
 * Finalizes one upload, as a sequence of steps each of which may be re-run after a crash:
 * verify the committed parts → record the digest → publish exactly those parts as one blob →
 * index the blob by digest (the first location wins; a second copy is deleted) → link the
 * layer into the repository → wait for Redis replicas to hold those writes → remove the
 * upload's leftovers (parts nobody committed).
 *
 * Knows nothing of queues: permanent failures (a digest mismatch, a layer that already exists)
 * are returned as `failed`; anything else is thrown for the caller to retry.
 */
export async function finalizeUpload(uploadId: string, deps: FinalizeDeps, log: Logger): Promise<FinalizeOutcome> {
  const status = await deps.uploads.startFinalizing(uploadId);
  if (status === 'missing' || status === 'uploading') {
    return { outcome: 'gone', reason: `upload ${uploadId} is not awaiting finalization (${status})` };
  }
  // Both reads in one round trip; the parts are only used if the upload is still to finalize.
  const [record, parts] = await Promise.all([deps.uploads.get(uploadId), deps.uploads.parts(uploadId)]);
  if (!record) return { outcome: 'gone', reason: `upload ${uploadId} expired` };
  if (isUploadFinished(record.status)) return outcomeOf(record);

  const session = sessionFromJson(record.storageSession, uploadId);
  try {
    const digest = await publishLayer(record, parts, session, deps, log);
    await deps.layers.link(record.repositoryName, record.registryId, digest, {
      size: record.bytesReceived,
      uploadId,
      linkedAt: Date.now(),
    });
    await deps.replicated?.();
    await deps.storage.abortUpload(session);
    log.info({ layerDigest: digest, layerSize: record.bytesReceived }, 'layer finalized');
    return {
      outcome: 'completed',
      layerDigest: digest,
      layerSize: record.bytesReceived,
      callbackUrl: record.callbackUrl ?? null,
    };
  } catch (err) {
    if (!(err instanceof LongshoreError) || !err.permanent) throw err;
    await deps.storage.abortUpload(session);
    log.info({ error: err.name, reason: err.message }, 'layer rejected');
    return { outcome: 'failed', error: err.toRecord(), callbackUrl: record.callbackUrl ?? null };
  }
}

/**
 * Verifies the committed parts and publishes them as one blob, unless an earlier run already
 * did: the verified digest is recorded before publishing, the blob's location after, so a
 * re-run picks up where the last one stopped. Returns the layer's digest.
 */
async function publishLayer(
  record: UploadRecord,
  parts: PartRecord[],
  session: UploadSession,
  deps: FinalizeDeps,
  log: Logger,
): Promise<string> {
  const { uploads, storage, blobs } = deps;
  let digest = record.verifiedDigest;
  const publish = async (known: string | undefined): Promise<BlobLocation> => {
    const written = parts.map((part) => ({ partNumber: part.partNumber, size: part.length, receipt: part.receipt }));
    const completed = await storage.completeUpload(session, written, known);
    await uploads.annotate(record.uploadId, { blobLocation: completed });
    return completed;
  };
  let hashedBlob = false;
  let location = record.blobLocation;
  if (!digest) {
    digest = await verifyUpload(record, parts, session, deps);
    if (digest === undefined) {
      // No carried hash state, and parts a remote store cannot read back before completion:
      // publish them (where they were written: no copy), then hash the published blob.
      location ??= await publish(undefined);
      digest = await digestOfPublished(storage, location, record.bytesReceived, record.layerDigests?.[0]);
      hashedBlob = true;
    }
    if (!record.layerDigests?.includes(digest)) {
      if (location !== undefined) await storage.deleteBlob(location);
      throw new InvalidLayerException(
        `The layer's digest is ${digest}, which matches none of the digests given: ${(record.layerDigests ?? []).join(', ')}`,
      );
    }
    await uploads.annotate(record.uploadId, { verifiedDigest: digest });
  }
  // Retaining (not just looking up) an indexed blob tells a garbage collection that marked it to
  // keep it; while one is deleting it, this throws (transient: the retry publishes our own copy).
  let published = location !== undefined;
  location ??= await blobs.retain(digest);
  if (!location) {
    location = await publish(digest);
    published = true;
  }
  if (published && !hashedBlob && needsBlobRehash(deps, session, parts)) {
    await verifyPublishedBlob(storage, location, digest, record.bytesReceived);
    deps.onVerifiedBytes?.(record.bytesReceived);
  }
  const kept = await blobs.claim(digest, location, record.bytesReceived);
  if (kept !== location) {
    // Another upload of the same layer was indexed first: this copy is surplus.
    await storage.deleteBlob(location);
  }
  log.debug({ layerDigest: digest, location: kept }, 'layer published');
  return digest;
}

/** The digest of the blob just published at `location`; a blob of the wrong size is deleted and rejected. */
async function digestOfPublished(
  storage: FinalizeDeps['storage'],
  location: BlobLocation,
  size: number,
  named: string | undefined,
) {
  const hashed = await hashPublishedBlob(storage, location, digestAlgorithmOf(named));
  if (hashed.size === size) return hashed.digest;
  await storage.deleteBlob(location);
  throw new InvalidLayerException(`The published layer has ${hashed.size} bytes, not the ${size} uploaded`);
}

function outcomeOf(record: UploadRecord): FinalizeOutcome {
  if (record.status === 'completed') {
    return {
      outcome: 'completed',
      layerDigest: record.layerDigest!,
      layerSize: record.layerSize!,
      callbackUrl: record.callbackUrl ?? null,
    };
  }
  return {
    outcome: 'failed',
    error: record.error ?? { name: 'ServerException', message: 'Finalization failed' },
    callbackUrl: record.callbackUrl ?? null,
  };
}
