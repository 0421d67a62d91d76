/**
 * Where Longshore keeps bytes, as logical storage paths. An upload's parts are written straight
 * into one file where they are consecutive, so publishing the finished layer is a rename into
 * content-addressed storage, never a copy.
 */
export const storageLayout = {
  uploadDir: (uploadId: string) => `uploads/${uploadId}`,
  uploadData: (uploadId: string) => `uploads/${uploadId}/data`,
  uploadsRoot: 'uploads',
  /** `hex` is the 64-character sha256; fanned out by its first two characters. */
  blob: (hex: string) => `blobs/sha256/${hex.slice(0, 2)}/${hex}/data`,
} as const;
