import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IHasher } from 'hash-wasm';

/**
 * OCI/ECR digests: `<algorithm>:<hex>`. Longshore computes sha256 as parts arrive (the fast
 * path); /v2 also takes `sha512` (registered by the OCI image-spec), verified by a re-hash.
 */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

const SHA256 = /^sha256:([a-f0-9]{64})$/;
const OCI_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Parses a sha256 digest (lowercase hex, as the OCI spec requires); undefined if it isn't one. */
export function parseSha256Digest(digest: string): ParsedDigest | undefined {
  const match = SHA256.exec(digest);
  return match ? { algorithm: 'sha256', hex: match[1]! } : undefined;
}

/** Parses a sha256 or sha512 digest (lowercase hex of the algorithm's length); undefined otherwise. */
export function parseOciDigest(digest: string): ParsedDigest | undefined {
  if (!OCI_DIGEST.test(digest)) return undefined;
  const [algorithm, hex] = digest.split(':') as [DigestAlgorithm, string];
  return { algorithm, hex };
}

/** The algorithm a digest names: sha512 for `sha512:…`, sha256 otherwise (the default). */
export function digestAlgorithmOf(digest: string | undefined): DigestAlgorithm {
  return digest?.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function sha256Digest(hex: string): string {
  return `sha256:${hex}`;
}

/**
 * A saved layer-digest state says which implementation wrote it, so no process misreads one:
 *
 * - empty: nothing hashed yet;
 * - `LSS2…` (110 bytes): the native addon's portable state;
 * - hash-wasm's own state: a 4-byte prefix identifying its WebAssembly build, then its memory;
 * - `LSS0`: the running digest was lost (a state this process could not continue). Parts keep
 *   flowing, and completion re-hashes the stored bytes instead.
 */
export type HashStateFormat = 'empty' | 'native' | 'lost' | 'other';

const NATIVE_MAGIC = [0x4c, 0x53, 0x53, 0x32]; // "LSS2"
const NATIVE_STATE_BYTES = 110;

/** The state a hasher saves once it has lost track of the layer's digest. */
export const LOST_HASH_STATE: Uint8Array = Uint8Array.of(0x4c, 0x53, 0x53, 0x30); // "LSS0"

function startsWith(state: Uint8Array, magic: ArrayLike<number>): boolean {
  for (let i = 0; i < magic.length; i++) if (state[i] !== magic[i]) return false;
  return true;
}

export function hashStateFormat(state: Uint8Array | undefined): HashStateFormat {
  if (!state || state.byteLength === 0) return 'empty';
  if (state.byteLength === NATIVE_STATE_BYTES && startsWith(state, NATIVE_MAGIC)) return 'native';
  if (state.byteLength === LOST_HASH_STATE.byteLength && startsWith(state, LOST_HASH_STATE)) return 'lost';
  return 'other';
}

/**
 * The native addon (src/native/longshore_sha256.c): OpenSSL's SHA-256 context, as exported by the
 * node binary, with a portable saved state. Built by `npm run build` when a compiler is at hand.
 */
export interface NativeSha256Binding {
  init(): Buffer;
  update(ctx: Buffer, data: Uint8Array): void;
  /** The portable state: 110 bytes starting with `LSS2` (see the C file). */
  save(ctx: Buffer): Buffer;
  /** Throws unless `state` is a valid saved state. */
  load(state: Uint8Array): Buffer;
  digest(ctx: Buffer): Buffer;
}

/** Where the build puts the addon: next to the compiled module, or under dist/ when run from src/ (vitest). */
export function defaultNativeSha256Path(): string {
  const here = new URL('.', import.meta.url);
  const inSource = here.pathname.endsWith('/src/');
  return new URL(inSource ? '../dist/native/longshore_sha256.node' : './native/longshore_sha256.node', here).pathname;
}

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

/**
 * Loads the addon, or gives undefined when it was not built, does not load on this platform, or
 * fails a known-answer check: callers then use hash-wasm.
 */
export function loadNativeSha256(file: string = defaultNativeSha256Path()): NativeSha256Binding | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const binding = createRequire(import.meta.url)(file) as NativeSha256Binding;
    const ctx = binding.load(binding.save(binding.init()));
    binding.update(ctx, Buffer.from('abc'));
    return binding.digest(ctx).toString('hex') === ABC ? binding : undefined;
  } catch {
    return undefined;
  }
}

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
 * LOST_HASH_STATE above); a new layer starts on the preferred one. A state no implementation here can
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

/**
 * hash-wasm's SHA-256, loaded the first time it is needed: with the native addon built it never
 * is, and hash-wasm (every algorithm's WebAssembly) is several MiB of each thread's memory.
 */
async function createWasmSha256(): Promise<IHasher> {
  const { createSHA256 } = await import('hash-wasm');
  return createSHA256();
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
    shared ??= await createWasmSha256();
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
      return open(state, usesWasm(state) ? await createWasmSha256() : undefined);
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
