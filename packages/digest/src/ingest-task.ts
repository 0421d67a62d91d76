import { writePartFileSync } from '@longshore/storage/local-part-file';
import type { PartChecksumAlgorithm } from './part-checksum.js';
import { computePartHashes, type PartHashes } from './part-checksum.js';

/** A part on its way into storage, handled on pool threads. */
export interface IngestPartTask {
  /**
   * Absolute path of the part's own file (a local-parts driver's `localParts.partPath`). Storage
   * writes it (`writePartFileSync`: created exclusively, never into a missing directory); this
   * package only hashes.
   */
  path: string;
  data: Uint8Array;
  /** The layer's saved SHA-256 state before this part (empty at the start). */
  layerState: Uint8Array;
  /** The part's own checksum: crc32c (default, PART_CHECKSUM_ALGORITHM) or sha256. */
  checksum?: PartChecksumAlgorithm;
}

export type IngestPartResult = PartHashes;

/** Pool task: storage writes the part into its file, then both hashes are computed. */
export async function ingestPart(task: IngestPartTask): Promise<IngestPartResult> {
  writePartFileSync(task.path, task.data);
  return computePartHashes(task.data, task.layerState, task.checksum);
}

/** Pool task: both hashes, for drivers the thread cannot write to (the caller writes). */
export function hashPartTask(
  task: Pick<IngestPartTask, 'data' | 'layerState' | 'checksum'>,
): Promise<IngestPartResult> {
  return computePartHashes(task.data, task.layerState, task.checksum);
}
