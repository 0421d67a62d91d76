import { createHash } from 'node:crypto';
import type { HashPool } from '@longshore/digest';
import type { StorageDriver } from '@longshore/storage';

/** Ranges up to this size are hashed on the event loop (under a millisecond); larger ones on the pool. */
const INLINE_HASH_MAX_BYTES = 256 * 1024;

/**
 * SHA-256 (hex) of stored bytes [start, end]. Large ranges of local files are hashed on the
 * pool's threads; small ones, and drivers without local files, are streamed through this thread
 * in chunks, yielding between them, so the event loop never stalls on a hash.
 */
export async function hashStoredRange(
  deps: { storage: StorageDriver; hashPool: HashPool },
  path: string,
  start: number,
  end: number,
): Promise<string> {
  const local = deps.storage.localPath(path);
  if (local && end - start + 1 > INLINE_HASH_MAX_BYTES) return deps.hashPool.hashFileRange({ path: local, start, end });
  const hash = createHash('sha256');
  for await (const chunk of await deps.storage.reader(path, { start, end })) hash.update(chunk);
  return hash.digest('hex');
}
