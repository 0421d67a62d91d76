import { advanceLayerState, continueCrc32c, crc32cText, type PartHashes } from './part-checksum.js';

/**
 * A part's two hashes carried from batch to batch while its bytes arrive: the layer's running
 * SHA-256 (its saved state) and the part's CRC32C (PART_CHECKSUM_ALGORITHM). Each batch is a
 * hash-pool task that takes the progress so far and gives it back advanced, so no thread keeps
 * anything between batches and any thread may take the next one. Once every byte went through,
 * `partHashesOf` gives what computePartHashes gives for the whole part in one go.
 */
export interface PartProgress {
  /** The layer's SHA-256 state after the bytes hashed so far (empty: nothing hashed in the layer yet). */
  layerState: Uint8Array;
  /**
   * The CRC32C of this part's bytes hashed so far (0 before the first); undefined when the part's
   * checksum is not taken (a part recorded with a boot mark instead, storage's machine-boot.ts).
   */
  crc32c: number | undefined;
}

/** Whether this process can carry a part's checksum from batch to batch (the native CRC32C). */
export const partProgressAvailable: boolean = continueCrc32c !== undefined;

/** Advances both hashes over the next bytes of the part. */
export async function advancePartProgress(data: Uint8Array, progress: PartProgress): Promise<PartProgress> {
  if (!continueCrc32c) throw new Error('A part checksum carried from batch to batch needs the native CRC32C');
  const layerState = await advanceLayerState(data, progress.layerState);
  return { layerState, crc32c: progress.crc32c === undefined ? undefined : continueCrc32c(data, progress.crc32c) };
}

/**
 * The part's hashes once all its bytes were advanced over (as computePartHashes answers them);
 * the part checksum is '' when it was not taken.
 */
export function partHashesOf(progress: PartProgress): PartHashes {
  const partChecksum = progress.crc32c === undefined ? '' : crc32cText(progress.crc32c);
  return { partChecksum, layerState: progress.layerState };
}
