import { createHash } from 'node:crypto';
import { INLINE_HASH_MAX_BYTES } from '@longshore/domain';
import { createPartChecksum, type DigestAlgorithm, partChecksumAlgorithm, type HashPool } from '@longshore/digest';
import { ShortReadError, type StorageDriver, type UploadSession } from '@longshore/storage';

export interface StoredPartsDeps {
  storage: StorageDriver;
  hashPool: Pick<HashPool, 'checksumFileRange' | 'hashFileRanges'>;
}

/** A committed part as verification sees it: its storage part number and size. */
export interface StoredPartRef {
  partNumber: number;
  length: number;
}

/**
 * Whether one stored part still matches the checksum recorded when it arrived, computed with that
 * checksum's algorithm (CRC32C, or SHA-256 for parts recorded before it); an unreadable checksum
 * never matches. Large parts of local drivers are read on the pool's threads (and, with `sync`,
 * flushed to disk there); small ones, and remote drivers, are streamed through this thread, so
 * the event loop never stalls on a checksum.
 */
export async function storedPartMatches(
  deps: StoredPartsDeps,
  session: UploadSession,
  part: StoredPartRef,
  recorded: string,
  options: { sync?: boolean } = {},
): Promise<boolean> {
  const algorithm = partChecksumAlgorithm(recorded);
  if (!algorithm) return false;
  const local = deps.storage.localParts;
  if (local && part.length > INLINE_HASH_MAX_BYTES) {
    const range = {
      path: local.partPath(session, part.partNumber),
      start: 0,
      end: part.length - 1,
      algorithm,
      ...options,
    };
    return (await deps.hashPool.checksumFileRange(range)) === recorded;
  }
  const checksum = await createPartChecksum(algorithm);
  await feed(checksum, deps.storage, session, part);
  return checksum.digest() === recorded;
}

/**
 * SHA-256 (hex; or SHA-512 when asked) of the parts one after the other: the whole layer, in one
 * streaming pass. SHA-256 of local parts runs on the hash pool; SHA-512 streams through this thread.
 */
export async function hashStoredParts(
  deps: StoredPartsDeps,
  session: UploadSession,
  parts: readonly StoredPartRef[],
  algorithm: DigestAlgorithm = 'sha256',
): Promise<string> {
  const local = deps.storage.localParts;
  if (algorithm === 'sha256' && local) {
    const ranges = parts.map((part) => ({
      path: local.partPath(session, part.partNumber),
      start: 0,
      end: part.length - 1,
    }));
    return deps.hashPool.hashFileRanges({ ranges });
  }
  const hash = createHash(algorithm);
  for (const part of parts) await feed(hash, deps.storage, session, part);
  return hash.digest('hex');
}

async function feed(
  hash: { update(data: Uint8Array): unknown },
  storage: StorageDriver,
  session: UploadSession,
  part: StoredPartRef,
): Promise<void> {
  if (part.length === 0) return;
  const stream = await storage.partReader(session, part.partNumber, { start: 0, end: part.length - 1 });
  let read = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    read += chunk.length;
  }
  if (read !== part.length) throw new ShortReadError(`part ${part.partNumber}`, part.length - 1);
}
