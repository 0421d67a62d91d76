import type { RefusalRecord } from '../errors/refusal.js';
import { wordRefusal } from '../wire/refusal-wording.js';
import { wireEntry } from '../wire/wire-table.js';

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

/** Parts up to this size are hashed on the event loop (under a millisecond); larger ones on the hash pool. */
export const INLINE_HASH_MAX_BYTES = 256 * 1024;

/** What the status document shows of an upload (the metadata store's UploadRecord has these). */
export interface UploadStatusFacts {
  uploadId: string;
  repositoryName: string;
  registryId: string;
  status: UploadStatus;
  bytesReceived: number;
  partsReceived: number;
  jobId?: string;
  layerDigest?: string;
  layerSize?: number;
  /** Why it failed: the refusal's code and facts, worded here for the wire. */
  error?: RefusalRecord;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
}

/**
 * An upload's status on the wire, as the /v1 status API shows it and as callbacks deliver it:
 * one document for the whole life of the upload, timestamps in ISO 8601 UTC.
 */
export interface UploadStatusDocument {
  id: string;
  uploadId: string;
  repositoryName: string;
  registryId: string;
  status: UploadStatus;
  bytesReceived: number;
  partsReceived: number;
  jobId: string | null;
  layerDigest: string | null;
  layerSize: number | null;
  error: { code: string; name: string; message: string } | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function toStatusDocument(record: UploadStatusFacts): UploadStatusDocument {
  return {
    id: record.uploadId,
    uploadId: record.uploadId,
    repositoryName: record.repositoryName,
    registryId: record.registryId,
    status: record.status,
    bytesReceived: record.bytesReceived,
    partsReceived: record.partsReceived,
    jobId: record.jobId ?? null,
    layerDigest: record.layerDigest ?? null,
    layerSize: record.layerSize ?? null,
    error: record.error ? statusError(record, record.error) : null,
    created_at: isoTime(record.createdAt),
    updated_at: isoTime(record.updatedAt),
    completed_at: record.completedAt ? isoTime(record.completedAt) : null,
  };
}

/** A failed upload's refusal in the status document's words: the /v1 code, the ECR exception and its message. */
function statusError(record: UploadStatusFacts, refusal: RefusalRecord): UploadStatusDocument['error'] {
  const { uploadId, repositoryName, registryId } = record;
  const error = wordRefusal(refusal.code, { uploadId, repositoryName, registryId, ...refusal.facts });
  return { code: wireEntry(error.name).code, name: error.name, message: error.message };
}
