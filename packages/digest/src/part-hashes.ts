import { createHash } from 'node:crypto';
import { PART_CHECKSUM_ALGORITHM, partChecksumOf, type PartChecksumAlgorithm } from './part-checksum.js';
import { defaultSha256Engines } from './sha256-engines.js';

export interface PartHashes {
  /**
   * The part's own checksum, which its stored bytes are verified against: `crc32c:<hex>` by
   * default, or the sha256 (hex) of the part alone when that algorithm was asked for (see part-checksum.ts).
   */
  partChecksum: string;
  /** The layer's running SHA-256 state after this part. */
  layerState: Uint8Array;
}

/** Advances the layer's running SHA-256 over `data`, from `state` (empty: the start). */
export function advanceLayerState(data: Uint8Array, state: Uint8Array): Promise<Uint8Array> {
  return defaultSha256Engines().advance(state, data);
}

/** The part's own checksum (CRC32C unless told) and the layer's state after it, in one place. */
export async function computePartHashes(
  data: Uint8Array,
  state: Uint8Array,
  checksum: PartChecksumAlgorithm = PART_CHECKSUM_ALGORITHM,
): Promise<PartHashes> {
  const layerState = await advanceLayerState(data, state);
  const partChecksum =
    checksum === 'sha256' ? createHash('sha256').update(data).digest('hex') : await partChecksumOf(data, checksum);
  return { partChecksum, layerState };
}

/**
 * `sha256:<hex>` of everything a saved state has seen, or undefined when this process cannot
 * read that state (written by an implementation it lacks, or the digest was lost on the way):
 * the caller then re-hashes the stored bytes.
 */
export async function digestFromState(state: Uint8Array): Promise<string | undefined> {
  const hex = await defaultSha256Engines().digestHex(state);
  return hex === undefined ? undefined : `sha256:${hex}`;
}
