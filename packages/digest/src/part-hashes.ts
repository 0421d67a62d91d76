import { createHash } from 'node:crypto';
import { defaultSha256Engines } from './sha256-engines.js';

export interface PartHashes {
  /** sha256 (hex) of the part alone: the checksum its stored bytes are verified against. */
  partSha256: string;
  /** The layer's running SHA-256 state after this part. */
  layerState: Uint8Array;
}

/** Advances the layer's running SHA-256 over `data`, from `state` (empty: the start). */
export function advanceLayerState(data: Uint8Array, state: Uint8Array): Promise<Uint8Array> {
  return defaultSha256Engines().advance(state, data);
}

/** The part's own checksum and the layer's state after it, in one place (small parts, inline). */
export async function computePartHashes(data: Uint8Array, state: Uint8Array): Promise<PartHashes> {
  const layerState = await advanceLayerState(data, state);
  return { partSha256: createHash('sha256').update(data).digest('hex'), layerState };
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
