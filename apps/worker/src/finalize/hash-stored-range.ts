import { createHash } from 'node:crypto';
import type { HashPool } from '@longshore/digest';
import type { StorageDriver } from '@longshore/storage';

/**
 * SHA-256 (hex) of stored bytes [start, end]. Local files are hashed on the pool's threads;
 * a driver without local files is streamed through this thread in chunks, yielding between them.
 */
export async function hashStoredRange(
  deps: { storage: StorageDriver; hashPool: HashPool },
  path: string,
  start: number,
  end: number,
): Promise<string> {
  const local = deps.storage.localPath(path);
  if (local) return deps.hashPool.hashFileRange({ path: local, start, end });
  const hash = createHash('sha256');
  for await (const chunk of await deps.storage.reader(path, { start, end })) hash.update(chunk);
  return hash.digest('hex');
}
