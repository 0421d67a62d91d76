import type { WrittenPart } from './storage-driver.js';

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
