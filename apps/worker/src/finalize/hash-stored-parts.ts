import { createHash } from 'node:crypto';
import type { HashPool } from '@longshore/digest';
import type { StorageDriver, UploadSession } from '@longshore/storage';

/** Parts up to this size are hashed on the event loop (under a millisecond); larger ones on the pool. */
const INLINE_HASH_MAX_BYTES = 256 * 1024;

export interface StoredPartsDeps {
  storage: StorageDriver;
  hashPool: Pick<HashPool, 'hashFileRange' | 'hashFileRanges'>;
}

/** A committed part as verification sees it: its storage part number and size. */
export interface StoredPartRef {
  partNumber: number;
  length: number;
}

/**
 * SHA-256 (hex) of one stored part. Large parts of local drivers are hashed on the pool's threads
 * (and, with `sync`, flushed to disk there); small ones, and remote drivers, are streamed through
 * this thread, so the event loop never stalls on a hash.
 */
export async function hashStoredPart(
  deps: StoredPartsDeps,
  session: UploadSession,
  part: StoredPartRef,
  options: { sync?: boolean } = {},
): Promise<string> {
  const local = deps.storage.localPartPath(session, part.partNumber);
  if (local && part.length > INLINE_HASH_MAX_BYTES) {
    return deps.hashPool.hashFileRange({ path: local, start: 0, end: part.length - 1, ...options });
  }
  const hash = createHash('sha256');
  await feed(hash, deps.storage, session, part);
  return hash.digest('hex');
}

/** SHA-256 (hex) of the parts one after the other: the whole layer, in one streaming pass. */
export async function hashStoredParts(
  deps: StoredPartsDeps,
  session: UploadSession,
  parts: readonly StoredPartRef[],
): Promise<string> {
  const locals = parts.map((part) => deps.storage.localPartPath(session, part.partNumber));
  if (locals.every((path) => path !== undefined)) {
    const ranges = parts.map((part, i) => ({ path: locals[i]!, start: 0, end: part.length - 1 }));
    return deps.hashPool.hashFileRanges({ ranges });
  }
  const hash = createHash('sha256');
  for (const part of parts) await feed(hash, deps.storage, session, part);
  return hash.digest('hex');
}

async function feed(
  hash: ReturnType<typeof createHash>,
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
  if (read !== part.length) throw new Error(`short read: part ${part.partNumber} has ${read} of ${part.length} bytes`);
}
