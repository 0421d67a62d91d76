import type { UploadStatus, UploadStatusFacts } from '@longshore/domain';

export type { UploadStatus };

/**
 * One upload's whole life, as stored in its Redis hash and announced on its events channel: what
 * its status document shows (UploadStatusFacts) and what the upload's steps need besides.
 */
export interface UploadRecord extends UploadStatusFacts {
  /** Whether a part other than the last is smaller than the minimum part size. */
  hasSmallPart: boolean;
  /** The upload's part-size policy, fixed at initiate (absent on records from before policies). */
  minPartSize?: number;
  maxPartSize?: number;
  /** Whether the upload may complete empty (its policy's `allowEmpty`). */
  allowEmpty: boolean;
  /** Whether a part upload currently holds the upload. */
  partInFlight: boolean;
  /**
   * The last storage part number handed out (0 before any): every claim and every commit of a
   * part written without a claim takes the next one.
   */
  nextPartNumber: number;
  /** The upload's storage session (the driver's UploadSession as JSON), made at initiate. */
  storageSession?: string;
  /** Saved SHA-256 state after `bytesReceived` bytes (base64), while uploading. */
  hashState?: string;
  layerDigests?: string[];
  /** The finalize job that took the upload up (startFinalizing); only it goes on with it. */
  finalizingJob?: string;
  callbackUrl?: string;
  /** Set by the worker once the stored bytes are verified, before they are published. */
  verifiedDigest?: string;
  /** Set by the worker once the storage driver published the blob, before it is indexed. */
  blobLocation?: string;
  queuedAt?: number;
  attempts: number;
}

/**
 * What an upload's events channel announces of a status change (the scripts' announceStatus):
 * what a waiting completion needs to answer, not the whole record. A waiter that needs the
 * whole record (a status long poll) reads it once woken.
 */
export type UploadAnnouncement = Pick<UploadRecord, 'uploadId' | 'status' | 'layerDigest' | 'layerSize' | 'error'>;

/** One committed part: where it sits in the layer, its checksum, and which stored part holds it. */
export interface PartRecord {
  offset: number;
  length: number;
  /**
   * The part's own checksum as it arrived: `crc32c:<8 hex>`, or a bare sha256 hex in records
   * written before CRC32C (their JSON field was `sha256`; both are read).
   */
  checksum: string;
  /** The storage part number its claim wrote (unique per claim). */
  partNumber: number;
  /** The storage driver's receipt for the part (S3: its ETag). */
  receipt: string;
}
