import type { ErrorRecord, UploadStatus } from '@longshore/domain';

export type { UploadStatus };

/** One upload's whole life, as stored in its Redis hash and announced on its events channel. */
export interface UploadRecord {
  uploadId: string;
  repositoryName: string;
  registryId: string;
  status: UploadStatus;
  bytesReceived: number;
  partsReceived: number;
  /** Whether a part other than the last is smaller than the minimum part size. */
  hasSmallPart: boolean;
  /** The upload's part-size policy, fixed at initiate (absent on records from before policies). */
  minPartSize?: number;
  maxPartSize?: number;
  /** Whether the upload may complete empty (its policy's `allowEmpty`). */
  allowEmpty: boolean;
  /** Whether a part upload currently holds the upload. */
  partInFlight: boolean;
  /** The upload's storage session (the driver's UploadSession as JSON), made at initiate. */
  storageSession?: string;
  /** Saved SHA-256 state after `bytesReceived` bytes (base64), while uploading. */
  hashState?: string;
  layerDigests?: string[];
  jobId?: string;
  /** The finalize job that took the upload up (startFinalizing); only it goes on with it. */
  finalizingJob?: string;
  callbackUrl?: string;
  /** Set by the worker once the stored bytes are verified, before they are published. */
  verifiedDigest?: string;
  /** Set by the worker once the storage driver published the blob, before it is indexed. */
  blobLocation?: string;
  layerDigest?: string;
  layerSize?: number;
  error?: ErrorRecord;
  createdAt: number;
  updatedAt: number;
  queuedAt?: number;
  completedAt?: number;
  attempts: number;
}

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

const optionalNumber = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

/** Builds a record from the flat string map that HGETALL (or the Lua publisher) returns. */
export function parseUploadRecord(flat: Record<string, string>, now = Date.now()): UploadRecord | undefined {
  if (!flat.uploadId || !flat.status) return undefined;
  return {
    uploadId: flat.uploadId,
    repositoryName: flat.repositoryName ?? '',
    registryId: flat.registryId ?? '',
    status: flat.status as UploadStatus,
    bytesReceived: Number(flat.bytesReceived ?? 0),
    partsReceived: Number(flat.partsReceived ?? 0),
    hasSmallPart: flat.hasSmallPart === '1',
    minPartSize: optionalNumber(flat.minPartSize),
    maxPartSize: optionalNumber(flat.maxPartSize),
    allowEmpty: flat.allowEmpty === '1',
    partInFlight: Number(flat.claimUntil ?? 0) > now,
    storageSession: flat.storageSession || undefined,
    hashState: flat.hashState || undefined,
    layerDigests: flat.layerDigests ? (JSON.parse(flat.layerDigests) as string[]) : undefined,
    jobId: flat.jobId || undefined,
    finalizingJob: flat.finalizingJob || undefined,
    callbackUrl: flat.callbackUrl || undefined,
    verifiedDigest: flat.verifiedDigest || undefined,
    blobLocation: flat.blobLocation || undefined,
    layerDigest: flat.layerDigest || undefined,
    layerSize: optionalNumber(flat.layerSize),
    error: flat.error ? (JSON.parse(flat.error) as ErrorRecord) : undefined,
    createdAt: Number(flat.createdAt ?? 0),
    updatedAt: Number(flat.updatedAt ?? 0),
    queuedAt: optionalNumber(flat.queuedAt),
    completedAt: optionalNumber(flat.completedAt),
    attempts: Number(flat.attempts ?? 0),
  };
}

export function parsePartRecord(entry: string): PartRecord {
  const part = JSON.parse(entry) as Partial<PartRecord> & { sha256?: string };
  return {
    offset: Number(part.offset),
    length: Number(part.length),
    checksum: part.checksum ?? part.sha256 ?? '',
    partNumber: Number(part.partNumber),
    receipt: part.receipt ?? '',
  };
}
