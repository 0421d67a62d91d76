import { createHash } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import { digestAlgorithmOf, type DigestAlgorithm } from '@longshore/digest';
import type { BlobLocation, StorageDriver } from '@longshore/storage';

/**
 * `VERIFY_MODE=full` on a remote store: re-hashes the blob just published at `location`, in one
 * streaming read, before it is indexed. A blob that is not `digest` (or not `size` bytes) is
 * deleted and the layer rejected, so a wrong blob is never indexed.
 */
export async function verifyPublishedBlob(
  storage: Pick<StorageDriver, 'blobReader' | 'deleteBlob'>,
  location: BlobLocation,
  digest: string,
  size: number,
): Promise<void> {
  const { digest: rehashed, size: read } = await hashPublishedBlob(storage, location, digestAlgorithmOf(digest));
  if (read === size && rehashed === digest) return;
  await storage.deleteBlob(location);
  throw new RefusedError('PUBLISHED_BLOB_MISMATCH', { size: read, layerDigest: rehashed });
}

/** The digest (sha256 unless asked) and size of the blob at `location`, in one streaming read. */
export async function hashPublishedBlob(
  storage: Pick<StorageDriver, 'blobReader'>,
  location: BlobLocation,
  algorithm: DigestAlgorithm = 'sha256',
): Promise<{ digest: string; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of (await storage.blobReader(location)) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `${algorithm}:${hash.digest('hex')}`, size };
}
