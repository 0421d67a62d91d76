/**
 * The last step of every filesystem publish: a directory (many segments) or a file (one segment)
 * fully written and fsynced elsewhere is renamed to the blob's address inside its shard, and the
 * shard is fsynced. Shared by the
 * small-blob publish (filesystem-publish-bytes.ts) and the in-place publish of a many-part upload
 * (filesystem-publish-in-place.ts).
 */
import { closeSync, fsync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { CompleteStep } from './filesystem-driver.js';

export const fsyncFd = promisify(fsync);

export function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Renames `from` to `blobDir` and fsyncs the shard: 'lost' when another completion published the
 * blob first as a directory (`from` stays for the caller to remove). A file renamed onto a file
 * of the same address replaces it: both hold the digest's bytes, fsynced.
 */
export async function publishIntoShard(
  from: string,
  blobDir: string,
  knownShards: Set<string>,
  step?: (step: CompleteStep) => void,
): Promise<'published' | 'lost'> {
  const shard = dirname(blobDir);
  try {
    renameIntoShard(from, blobDir, shard, knownShards);
  } catch (error) {
    const code = errorCode(error);
    // A directory there (ENOTEMPTY, EEXIST) or, for the other layout, a file (ENOTDIR) or a
    // directory in place of our file (EISDIR): the blob is published already.
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') return 'lost';
    throw error;
  }
  step?.('published');
  const fd = openSync(shard, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
  return 'published';
}

/** The shard directory is made the first time this process needs it. */
function renameIntoShard(from: string, blobDir: string, shard: string, knownShards: Set<string>): void {
  if (!knownShards.has(shard)) {
    mkdirSync(shard, { recursive: true });
    knownShards.add(shard);
  }
  try {
    renameSync(from, blobDir);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT' || statSync(from, { throwIfNoEntry: false }) === undefined) throw error;
    // The shard directory went away (made by hand, or a test's cleanup): once more with it.
    mkdirSync(shard, { recursive: true });
    renameSync(from, blobDir);
  }
}
