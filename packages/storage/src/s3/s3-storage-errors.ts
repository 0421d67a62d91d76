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

/**
 * The committed parts cannot be completed as they were stored: a run of small staged parts under
 * S3's minimum part size is followed by a part that went straight into the multipart upload.
 */
export class UnassemblablePartsError extends StorageError {
  override readonly name = 'UnassemblablePartsError';

  constructor(readonly uploadId: string) {
    super(
      `upload ${uploadId}: parts smaller than S3's minimum part size are followed by a large part; ` +
        'S3 cannot merge them without reading the large part back',
    );
  }
}
