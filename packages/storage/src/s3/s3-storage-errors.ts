import { StorageError } from '../errors.js';

/**
 * partReader was asked for a part that went straight into the S3 multipart upload: S3 cannot
 * read a part back before the upload completes. The store checked the part's bytes on receipt
 * (the request's signed payload hash or Content-MD5), so there is nothing left to verify.
 */
export class PartNotReadableError extends StorageError {
  override readonly name = 'PartNotReadableError';

  constructor(
    readonly uploadId: string,
    readonly partNumber: number,
  ) {
    super(
      `part ${partNumber} of upload ${uploadId} is in the S3 multipart upload and cannot be read before completion`,
    );
  }
}
