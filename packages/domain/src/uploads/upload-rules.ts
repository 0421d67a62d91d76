/**
 * The rules of an upload, written once and used by the API's upload service, the stores, the
 * worker and the purge alike. (The Redis scripts that move a record between statuses test the
 * same two terminal statuses in Lua; see packages/metadata/src/scripts.)
 */

/** An upload's life: parts arrive, completion queues it, a worker finalizes it, it ends. */
export type UploadStatus = 'uploading' | 'queued' | 'finalizing' | 'completed' | 'failed';

/** The statuses an upload never leaves: its layer was published, or refused for good. */
export const FINISHED_UPLOAD_STATUSES: readonly UploadStatus[] = ['completed', 'failed'];

/** Whether an upload has finished: it will never change again (nothing to wait for, safe to purge); a missing one has not. */
export function isUploadFinished(status: UploadStatus | 'missing'): boolean {
  return status !== 'missing' && FINISHED_UPLOAD_STATUSES.includes(status);
}

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An upload id as this service issues it (a UUID), read in any case and answered in the lowercase
 * it was issued in; anything else is not an upload id (undefined).
 */
export function parseUploadId(raw: string): string | undefined {
  return UPLOAD_ID.test(raw) ? raw.toLowerCase() : undefined;
}

/** The largest storage part number (part uploads, claims, per upload): S3's limit, the storage port's. */
export const MAX_PART_NUMBER = 10_000;

/** Parts up to this size are hashed on the event loop (under a millisecond); larger ones on the hash pool. */
export const INLINE_HASH_MAX_BYTES = 256 * 1024;
