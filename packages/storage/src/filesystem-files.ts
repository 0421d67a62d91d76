/*
 * The filesystem driver's files: written whole and atomically (temp file, fsync, rename, fsync of
 * the directory), and the index a published blob keeps beside its segments.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { WrittenPart } from './storage-driver.js';

/** Writes all of `bytes` at `position`, however many writes it takes; resolves with the count. */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
  return done;
}

/** Makes a directory's entries (a rename, a new file) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes to a temp file beside `file`, fsyncs it, renames it over `file` and fsyncs the
 * directory: readers see the old content or the new, never a partial one, and a crash leaves one
 * of the two. The temp name starts with a dot (never a valid logical path segment of the
 * filesystem driver, whose list() leaves it out). `mode`: the new file's permissions.
 */
export async function writeFileAtomically(file: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.tmp-${randomBytes(8).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await writeFully(handle, typeof data === 'string' ? Buffer.from(data) : data, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/** A filesystem blob's `index` file: its digest and its segments (part files) in order. */
export interface BlobIndex {
  digest: string;
  size: number;
  segments: { name: string; size: number }[];
}

export function blobIndexOf(digest: string, parts: readonly WrittenPart[]): BlobIndex {
  const segments = parts.map((part) => ({ name: String(part.partNumber), size: part.size }));
  return { digest, size: segments.reduce((sum, segment) => sum + segment.size, 0), segments };
}

const SEGMENT_NAME = /^[1-9][0-9]{0,4}$/;

/** Reads an index file, refusing anything that is not one (it names the files the reader opens). */
export function parseBlobIndex(text: string): BlobIndex {
  const index = JSON.parse(text) as BlobIndex;
  let size = 0;
  if (!Array.isArray(index.segments)) throw new Error('blob index without segments');
  for (const segment of index.segments) {
    if (!SEGMENT_NAME.test(segment.name) || !Number.isSafeInteger(segment.size) || segment.size < 0) {
      throw new Error(`blob index with an invalid segment: ${JSON.stringify(segment)}`);
    }
    size += segment.size;
  }
  if (size !== index.size) throw new Error('blob index whose segments do not add up to its size');
  return index;
}
