/**
 * Where the S3 driver keeps things in its bucket, all under the configured prefix (S3_PREFIX):
 *
 * - `blobs/<uploadId>`: the object an upload's multipart upload completes into; a blob's location.
 * - `uploads/<uploadId>/<partNumber>`: a staged part, one object per part too small (or of unknown
 *   length) to go straight into the multipart upload; removed by abortUpload.
 * - `objects/<logical path>`: small objects (putContent, getContent, list, delete).
 */
export interface S3KeyLayout {
  blob(uploadId: string): string;
  /** The prefix every blob key starts with (for ListMultipartUploads). */
  blobsPrefix: string;
  stagedPart(uploadId: string, partNumber: number): string;
  /** The prefix of one upload's staged parts, ending in '/'. */
  stagedParts(uploadId: string): string;
  /** The prefix every staged part starts with. */
  stagingPrefix: string;
  object(path: string): string;
  /** The uploadId of a blob key, or undefined for another key. */
  uploadIdOfBlob(key: string): string | undefined;
}

export function s3KeyLayout(prefix: string): S3KeyLayout {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const blobsPrefix = `${base}blobs/`;
  const stagingPrefix = `${base}uploads/`;
  return {
    blob: (uploadId) => `${blobsPrefix}${uploadId}`,
    blobsPrefix,
    stagedPart: (uploadId, partNumber) => `${stagingPrefix}${uploadId}/${partNumber}`,
    stagedParts: (uploadId) => `${stagingPrefix}${uploadId}/`,
    stagingPrefix,
    object: (path) => `${base}objects/${path}`,
    uploadIdOfBlob: (key) => (key.startsWith(blobsPrefix) ? key.slice(blobsPrefix.length) : undefined),
  };
}
