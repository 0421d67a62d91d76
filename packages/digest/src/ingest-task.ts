import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PartChecksumAlgorithm } from './part-checksum.js';
import { computePartHashes, type PartHashes } from './part-hashes.js';

/** A part on its way into storage, handled on pool threads. */
export interface IngestPartTask {
  /** Absolute path of the upload's data file. */
  path: string;
  offset: number;
  data: Uint8Array;
  /** The layer's saved SHA-256 state before this part (empty at the start). */
  layerState: Uint8Array;
  /** The part's own checksum: sha256 (default, what part records hold today) or crc32c. */
  checksum?: PartChecksumAlgorithm;
}

export type IngestPartResult = PartHashes;

/** Writes the part at its offset in the upload's file (creating it), on the calling thread. */
function writePart(task: Pick<IngestPartTask, 'path' | 'offset' | 'data'>): void {
  mkdirSync(dirname(task.path), { recursive: true });
  const fd = openSync(task.path, constants.O_WRONLY | constants.O_CREAT, 0o644);
  try {
    let written = 0;
    while (written < task.data.byteLength) {
      written += writeSync(fd, task.data, written, task.data.byteLength - written, task.offset + written);
    }
  } finally {
    closeSync(fd);
  }
}

/** Pool task: write the part, then compute both hashes. */
export async function ingestPart(task: IngestPartTask): Promise<IngestPartResult> {
  writePart(task);
  return computePartHashes(task.data, task.layerState, task.checksum);
}

/** Pool task: both hashes, for drivers the thread cannot write to (the caller writes). */
export function hashPartTask(
  task: Pick<IngestPartTask, 'data' | 'layerState' | 'checksum'>,
): Promise<IngestPartResult> {
  return computePartHashes(task.data, task.layerState, task.checksum);
}
