import { createSHA256, type IHasher } from 'hash-wasm';

/**
 * A SHA-256 whose internal state can be saved after one part and restored in another process
 * before the next, so the layer digest is known the moment the last part lands. Parts are
 * strictly consecutive, which is what makes carrying one running state correct.
 */
export interface ResumableSha256 {
  update(data: Uint8Array): void;
  /** The state to store with the upload; restore it with createResumableSha256(state). */
  save(): Uint8Array;
  /** Finishes the hash: `sha256:<hex>`. The hasher cannot be used afterwards. */
  digest(): string;
}

export async function createResumableSha256(state?: Uint8Array): Promise<ResumableSha256> {
  const hasher: IHasher = await createSHA256();
  if (state && state.length > 0) hasher.load(state);
  else hasher.init();
  return {
    update: (data) => void hasher.update(data),
    save: () => hasher.save(),
    digest: () => `sha256:${hasher.digest('hex')}`,
  };
}
