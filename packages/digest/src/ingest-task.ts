import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { PartChecksumAlgorithm } from './part-checksum.js';
import { computePartHashes, type PartHashes } from './part-hashes.js';

/** A part on its way into storage, handled on pool threads. */
export interface IngestPartTask {
  /**
   * Absolute path of the part's own file (the storage driver's `localPartPath`). It is created
   * exclusively: a part file belongs to one claim and is never written twice, and a missing
   * directory (an aborted upload) is an error, never recreated.
   */
  path: string;
  data: Uint8Array;
  /** The layer's saved SHA-256 state before this part (empty at the start). */
  layerState: Uint8Array;
  /** The part's own checksum: crc32c (default, PART_CHECKSUM_ALGORITHM) or sha256. */
  checksum?: PartChecksumAlgorithm;
}

export type IngestPartResult = PartHashes;

/** Writes the part into its own new file, on the calling thread. */
function writePart(task: Pick<IngestPartTask, 'path' | 'data'>): void {
  const fd = openSync(task.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    let written = 0;
    while (written < task.data.byteLength) {
      written += writeSync(fd, task.data, written, task.data.byteLength - written, written);
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
