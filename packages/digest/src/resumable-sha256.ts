import { defaultSha256Engines, type Sha256Engines } from './sha256-engines.js';

/**
 * A SHA-256 whose internal state can be saved after one part and restored in another process
 * before the next, so the layer digest is known the moment the last part lands. Parts are
 * strictly consecutive, which is what makes carrying one running state correct.
 */
export interface ResumableSha256 {
  /** `native` (OpenSSL through the addon), `wasm` (hash-wasm), or `lost` (see digest()). */
  readonly implementation: 'native' | 'wasm' | 'lost';
  update(data: Uint8Array): void;
  /** The state to store with the upload; restore it with createResumableSha256(state). */
  save(): Uint8Array;
  /**
   * Finishes the hash: `sha256:<hex>`. The hasher cannot be used afterwards. Throws
   * HashStateLostError when the state it resumed could not be read here (digestFromState gives
   * undefined for the same state: re-hash the stored bytes).
   */
  digest(): string;
}

export class HashStateLostError extends Error {
  constructor() {
    super('The running SHA-256 state cannot be continued by this process; re-hash the stored bytes');
    this.name = 'HashStateLostError';
  }
}

export async function createResumableSha256(
  state?: Uint8Array,
  engines: Sha256Engines = defaultSha256Engines(),
): Promise<ResumableSha256> {
  const hasher = await engines.resume(state);
  return {
    implementation: hasher.implementation,
    update: (data) => hasher.update(data),
    save: () => hasher.save(),
    digest: () => {
      const hex = hasher.digestHex();
      if (hex === undefined) throw new HashStateLostError();
      return `sha256:${hex}`;
    },
  };
}

/** Which implementation new layers start on in this process. */
export function sha256Implementation(): 'native' | 'wasm' {
  return defaultSha256Engines().preferred;
}
