import type { UnclaimedPartStart } from '@longshore/metadata';

/** How many uploads a process remembers as it last left them (about 1 KiB each). */
export const UPLOADS_LEFT_HERE_MAX = 1024;

/**
 * The uploads this API process last wrote (initiated, or committed a part of without a claim), as
 * it left them: what its next small part may be written from without reading the record first
 * (UploadService.uploadUnclaimed). An entry may be stale (another process, a claim, a completion
 * or an abort changed the upload since): commitUnclaimedPart then refuses the part, as it refuses
 * one written from a record read moments before, and the part goes the way it would have gone
 * without the entry. Bounded: the least recently left upload goes first.
 */
export class UploadsLeftHere {
  private readonly left = new Map<string, UnclaimedPartStart>();

  constructor(private readonly max = UPLOADS_LEFT_HERE_MAX) {}

  /** Remembers `start` as the upload's state after this process's write. */
  leave(start: UnclaimedPartStart): void {
    this.left.delete(start.uploadId);
    this.left.set(start.uploadId, start);
    if (this.left.size > this.max) this.left.delete(this.left.keys().next().value!);
  }

  /** The upload as this process last left it, forgotten as it is taken (one writer uses it). */
  take(uploadId: string): UnclaimedPartStart | undefined {
    const start = this.left.get(uploadId);
    if (start) this.left.delete(uploadId);
    return start;
  }

  get size(): number {
    return this.left.size;
  }
}

/** The fields of `record` a part without a claim starts from (an upload record holds more). */
export function unclaimedPartStartOf(record: UnclaimedPartStart): UnclaimedPartStart {
  const { uploadId, repositoryName, registryId, status, partInFlight, storageSession } = record;
  const { nextPartNumber, maxPartSize, partsReceived, bytesReceived, hashState } = record;
  return {
    uploadId,
    repositoryName,
    registryId,
    status,
    partInFlight,
    storageSession,
    nextPartNumber,
    maxPartSize,
    partsReceived,
    bytesReceived,
    hashState,
  };
}
