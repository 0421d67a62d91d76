import type { ErrorRecord } from '../errors/longshore-error.js';
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
  return status === 'completed' || status === 'failed';
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

/**
 * Why the upload store refused a step of an upload (a part claim or commit, a completion, an
 * abort): the code its Redis script answered. Stores return codes and facts; the upload service
 * words them as the domain error each door answers (apps/api/src/uploads/upload-refusals.ts).
 */
export type UploadRefusalCode =
  /** The repository named does not exist. */
  | 'REPOSITORY_NOT_FOUND'
  /** No such upload, or not of the repository and registry named. */
  | 'UPLOAD_NOT_FOUND'
  /** The upload no longer takes parts (its completion began, or it was aborted): `status`. */
  | 'NOT_UPLOADING'
  /** A part larger than the upload's policy allows: `limit`. */
  | 'PART_TOO_LARGE'
  /** A part whose byte range disagrees with its `length`. */
  | 'BAD_LENGTH'
  /** A part that does not start at the next byte of the layer (`bytesReceived`). */
  | 'OUT_OF_ORDER'
  /** A part write whose claim a retry of the same part took over. */
  | 'SUPERSEDED'
  /** More parts (`limit`) or part uploads than an upload may have. */
  | 'TOO_MANY_PARTS'
  /** A layer larger than MAX_LAYER_SIZE (`limit`). */
  | 'LAYER_TOO_LARGE'
  /** A completion of an upload with no bytes, which its policy does not allow. */
  | 'EMPTY'
  /** A completion of an upload with a part other than the last below `limit` bytes. */
  | 'PART_TOO_SMALL'
  /** A completion of a layer (`layerDigest`) the repository already holds. */
  | 'LAYER_EXISTS';

/** The facts an answer to a refusal needs, as far as the refusing script knew them. */
export interface UploadRefusalFacts {
  /** Bytes of the layer received so far: the next part starts there. */
  bytesReceived?: number;
  /** The limit the request went over (bytes, or parts). */
  limit?: number;
  /** The declared length of a part whose range disagrees with it. */
  length?: number;
  /** The upload's status, when it no longer takes parts. */
  status?: string;
  /** The layer the repository already holds. */
  layerDigest?: string;
}

/** A step of an upload the upload store refused: a code and its facts, no wording (see UploadRefusalCode). */
export class UploadRefusedError extends Error {
  override readonly name = 'UploadRefusedError';
  constructor(
    readonly code: UploadRefusalCode,
    readonly facts: UploadRefusalFacts = {},
  ) {
    super(`upload step refused: ${code}`);
  }
}

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
  error?: ErrorRecord;
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
    error: record.error
      ? { code: wireEntry(record.error.name).code, name: record.error.name, message: record.error.message }
      : null,
    created_at: isoTime(record.createdAt),
    updated_at: isoTime(record.updatedAt),
    completed_at: record.completedAt ? isoTime(record.completedAt) : null,
  };
}
