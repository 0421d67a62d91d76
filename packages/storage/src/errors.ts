import type { ByteRange } from './storage-driver.js';

/**
 * Base of the errors a StorageDriver throws by contract. They are storage errors, not ECR
 * errors: callers translate them into domain errors where the meaning is known (a missing
 * upload file is UploadNotFoundException only to the code that knows it was an upload).
 * Anything else a driver throws is an I/O failure.
 */
export class StorageError extends Error {
  override readonly name: string = 'StorageError';
}

export class PathNotFoundError extends StorageError {
  override readonly name = 'PathNotFoundError';

  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(`path not found: ${path}`, options);
  }
}

export class InvalidPathError extends StorageError {
  override readonly name = 'InvalidPathError';

  constructor(
    readonly path: string,
    reason: string,
  ) {
    // JSON.stringify makes NUL, backslashes and empty paths visible in logs.
    super(`invalid storage path ${JSON.stringify(path)}: ${reason}`);
  }
}

export class RangeNotSatisfiableError extends StorageError {
  override readonly name = 'RangeNotSatisfiableError';

  constructor(
    readonly range: ByteRange,
    readonly size: number,
  ) {
    super(`byte range ${range.start}-${range.end} not satisfiable for size ${size}`);
  }
}

/** A session method was called for an upload session that was aborted or never created. */
export class UploadSessionNotFoundError extends StorageError {
  override readonly name = 'UploadSessionNotFoundError';

  constructor(
    readonly uploadId: string,
    options?: ErrorOptions,
  ) {
    super(`upload session not found: ${uploadId}`, options);
  }
}

/** writePart was called twice for one part number of a session. */
export class PartExistsError extends StorageError {
  override readonly name = 'PartExistsError';

  constructor(
    readonly uploadId: string,
    readonly partNumber: number,
    options?: ErrorOptions,
  ) {
    super(`part ${partNumber} of upload ${uploadId} was already written`, options);
  }
}

/** A stored part's file is gone (its upload was published or abandoned meanwhile). */
export class PartMissingError extends StorageError {
  override readonly name = 'PartMissingError';

  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(`part file not found: ${path}`, options);
  }
}

/** A stored file ends before the byte range it was read for (it is shorter than recorded). */
export class ShortReadError extends StorageError {
  override readonly name = 'ShortReadError';

  constructor(
    readonly path: string,
    readonly end: number,
    options?: ErrorOptions,
  ) {
    super(`short read: ${path} ends before byte ${end}`, options);
  }
}

/**
 * The store kept asking to slow down (S3's `SlowDown`, a 503) through every retry the driver
 * made. Transient: the same request succeeds once the store has caught up, so callers answer it
 * as "retry later" rather than as a server fault.
 */
export class StorageThrottledError extends StorageError {
  override readonly name = 'StorageThrottledError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Whether `error`, or an error it was caused by, is a StorageThrottledError. */
export function isStorageThrottled(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StorageThrottledError) return true;
  }
  return false;
}
