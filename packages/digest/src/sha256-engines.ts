import { createSHA256, type IHasher } from 'hash-wasm';
import { hashStateFormat, LOST_HASH_STATE } from './hash-state.js';
import { loadNativeSha256, type NativeSha256Binding } from './native-sha256.js';

/** One layer's running SHA-256, whichever implementation carries it. */
export interface LayerHasher {
  /** `lost`: the state could not be continued here; updates are ignored, completion re-hashes. */
  readonly implementation: 'native' | 'wasm' | 'lost';
  update(data: Uint8Array): void;
  save(): Uint8Array;
  /** Finishes the hash: its hex, or undefined when lost. */
  digestHex(): string | undefined;
}

/**
 * The SHA-256 implementations one process has: the native addon when it was built and loads,
 * hash-wasm always. A saved state is continued by the implementation that wrote it (see
 * hash-state.ts); a new layer starts on the preferred one. A state no implementation here can
 * read never throws and is never misread: the hasher loses track, and the layer is re-hashed at
 * completion.
 */
export interface Sha256Engines {
  readonly preferred: 'native' | 'wasm';
  /** A hasher of its own, continuing from `state` (empty or undefined: the start). */
  resume(state?: Uint8Array): Promise<LayerHasher>;
  /** The state after hashing `data` on top of `state`. */
  advance(state: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** The hex digest of everything `state` has seen; undefined when it cannot be read here. */
  digestHex(state: Uint8Array): Promise<string | undefined>;
}

const lostHasher = (): LayerHasher => ({
  implementation: 'lost',
  update: () => {},
  save: () => LOST_HASH_STATE.slice(),
  digestHex: () => undefined,
});

function nativeHasher(binding: NativeSha256Binding, ctx: Buffer): LayerHasher {
  return {
    implementation: 'native',
    update: (data) => binding.update(ctx, data),
    save: () => binding.save(ctx),
    digestHex: () => binding.digest(ctx).toString('hex'),
  };
}

function wasmHasher(hasher: IHasher): LayerHasher {
  return {
    implementation: 'wasm',
    update: (data) => void hasher.update(data),
    save: () => hasher.save(),
    digestHex: () => hasher.digest('hex'),
  };
}

export function createSha256Engines(native: NativeSha256Binding | undefined): Sha256Engines {
  let shared: IHasher | undefined;
  /**
   * One hash-wasm instance per thread for the one-shot operations: instantiating the module
   * costs more than hashing a small part. Sharing it is safe because every use runs
   * load → update → save/digest without yielding.
   */
  const sharedWasm = async () => {
    shared ??= await createSHA256();
    return shared;
  };
  const usesWasm = (state: Uint8Array | undefined) => {
    const format = hashStateFormat(state);
    return format === 'other' || (format === 'empty' && !native);
  };

  /** Synchronous from here on, so a shared wasm instance is never used by two callers at once. */
  function open(state: Uint8Array | undefined, wasm: IHasher | undefined): LayerHasher {
    const format = hashStateFormat(state);
    try {
      if (format === 'lost') return lostHasher();
      if (format === 'native') return native ? nativeHasher(native, native.load(state!)) : lostHasher();
      if (format === 'empty' && native) return nativeHasher(native, native.init());
      if (!wasm) return lostHasher();
      if (format === 'empty') wasm.init();
      else wasm.load(state!);
      return wasmHasher(wasm);
    } catch {
      return lostHasher(); // a corrupt state, or one from another hash-wasm build
    }
  }

  return {
    preferred: native ? 'native' : 'wasm',
    async resume(state) {
      return open(state, usesWasm(state) ? await createSHA256() : undefined);
    },
    async advance(state, data) {
      const hasher = open(state, usesWasm(state) ? await sharedWasm() : undefined);
      hasher.update(data);
      return hasher.save();
    },
    async digestHex(state) {
      return open(state, usesWasm(state) ? await sharedWasm() : undefined).digestHex();
    },
  };
}

let defaults: Sha256Engines | undefined;

/** This process's engines: the native addon if it loads (once per thread), hash-wasm otherwise. */
export function defaultSha256Engines(): Sha256Engines {
  defaults ??= createSha256Engines(loadNativeSha256());
  return defaults;
}
