import { Cluster, type Redis } from 'ioredis';
import { RefusedError } from '@longshore/domain';
import type { Keys } from './keys.js';
import { runScript } from './keys.js';
import { BlobBeingCollectedError, COLLECTING_PREFIX, type LayerLink } from './layer-store.js';
import { finishFinalizing } from './single-redis/finish-finalizing.js';
import type { UploadStatus } from './upload-record.js';

/** A finalization's published blob, to be indexed and linked (FinalizationStore.finish). */
export interface FinishedBlob {
  uploadId: string;
  repositoryName: string;
  registryId: string;
  digest: string;
  location: string;
  size: number;
  /** Also record the upload as completed and announce it (false: the caller settles it later). */
  settle: boolean;
  now?: number;
}

/** What FinalizationStore.finish did. */
export interface Finished {
  /** The location that stands for the digest (another upload's, when it was indexed first). */
  kept: string;
  /** The upload's status after the call ('missing' when it expired meanwhile). */
  status: UploadStatus | 'missing';
}

/**
 * The end of a finalization on a single Redis: one script (finishFinalizing) instead of the
 * per-slot steps a Redis Cluster needs (the blob location on the upload, the digest's claim, the
 * stored-bytes count, two repository checks, the link, a second retain, the outcome: six to eight
 * round trips, each fsynced by Redis under `appendfsync always`). `combined` is false on a
 * Cluster: the caller then takes those steps (linkRetainedLayer, recordCompleted).
 */
export class FinalizationStore {
  /** Whether `finish` may be used: one Redis holds every key it writes. */
  readonly combined: boolean;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
    private readonly statusRetentionSeconds: number,
  ) {
    this.combined = !(redis instanceof Cluster);
  }

  /**
   * Indexes and retains the blob, links the layer and (with `settle`) records the upload as
   * completed, atomically. Throws BlobBeingCollectedError (transient: nothing was written),
   * RefusedError REPOSITORY_NOT_FOUND or LAYER_EXISTS (the blob is indexed, nothing linked or
   * recorded), as the per-slot steps do.
   */
  async finish(blob: FinishedBlob): Promise<Finished> {
    if (!this.combined) throw new Error('FinalizationStore.finish needs a single Redis, not a Cluster');
    const { keys } = this;
    const link: LayerLink = { size: blob.size, uploadId: blob.uploadId, linkedAt: blob.now ?? Date.now() };
    const [code, kept, status] = await runScript<[string, string?, string?]>(
      this.redis,
      finishFinalizing,
      [
        keys.upload(blob.uploadId),
        keys.uploadParts(blob.uploadId),
        keys.uploadVerifiedParts(blob.uploadId),
        keys.blob(blob.digest),
        keys.blobMark(blob.digest),
        keys.repositories,
        keys.layers(blob.repositoryName),
        keys.storedBlobBytes,
      ],
      [
        COLLECTING_PREFIX,
        blob.digest,
        blob.location,
        blob.size,
        blob.repositoryName,
        JSON.stringify(link),
        blob.uploadId,
        blob.settle ? '1' : '0',
        link.linkedAt,
        this.statusRetentionSeconds,
        keys.uploadEvents(blob.uploadId),
      ],
    );
    const facts = { repositoryName: blob.repositoryName, registryId: blob.registryId };
    switch (code) {
      case 'COLLECTING':
        throw new BlobBeingCollectedError(blob.digest);
      case 'NO_REPOSITORY':
        throw new RefusedError('REPOSITORY_NOT_FOUND', facts);
      case 'EXISTS':
        throw new RefusedError('LAYER_EXISTS', { ...facts, layerDigest: blob.digest });
      default:
        return { kept: kept!, status: status as Finished['status'] };
    }
  }
}
