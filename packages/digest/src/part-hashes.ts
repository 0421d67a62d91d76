import { createHash } from 'node:crypto';
import { createSHA256, type IHasher } from 'hash-wasm';

export interface PartHashes {
  /** sha256 (hex) of the part alone: the checksum its stored bytes are verified against. */
  partSha256: string;
  /** The layer's running SHA-256 state after this part. */
  layerState: Uint8Array;
}

let shared: IHasher | undefined;

/**
 * One hash-wasm instance per thread, created once: instantiating the WebAssembly module costs
 * more than hashing a small part. Sharing it is safe because every use below runs
 * load → update → save/digest without yielding.
 */
async function sharedHasher(): Promise<IHasher> {
  shared ??= await createSHA256();
  return shared;
}

/** Advances the layer's running SHA-256 over `data`, from `state` (empty: the start). */
export async function advanceLayerState(data: Uint8Array, state: Uint8Array): Promise<Uint8Array> {
  const hasher = await sharedHasher();
  if (state.byteLength > 0) hasher.load(state);
  else hasher.init();
  hasher.update(data);
  return hasher.save();
}

/** The part's own checksum and the layer's state after it, in one place (small parts, inline). */
export async function computePartHashes(data: Uint8Array, state: Uint8Array): Promise<PartHashes> {
  const layerState = await advanceLayerState(data, state);
  return { partSha256: createHash('sha256').update(data).digest('hex'), layerState };
}

/** `sha256:<hex>` of everything a saved state has seen. */
export async function digestFromState(state: Uint8Array): Promise<string> {
  const hasher = await sharedHasher();
  if (state.byteLength > 0) hasher.load(state);
  else hasher.init();
  return `sha256:${hasher.digest('hex')}`;
}
