import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { defaultSha256Engines } from './digest.js';

/**
 * A part's integrity checksum: what its stored bytes are compared with before the layer is
 * published. The layer's SHA-256 already proves the content that arrived; the part checksum only
 * has to catch the stored copy going wrong (torn or misdirected writes, bit rot), so it need not
 * be a second SHA-256. CRC32C catches every burst of up to 32 bits and any other damage but
 * 1 in 2^32, and costs a fraction of SHA-256 (SSE4.2/ARMv8 CRC instructions).
 *
 * Written as `crc32c:<8 hex>`; a bare 64-hex value is a sha256 (what upload records hold today).
 */
export type PartChecksumAlgorithm = 'sha256' | 'crc32c';

/** What new part records are written with; records written before it (sha256) stay readable. */
export const PART_CHECKSUM_ALGORITHM: PartChecksumAlgorithm = 'crc32c';

export interface PartChecksum {
  update(data: Uint8Array): void;
  /** `crc32c:<hex>`, or the bare sha256 hex. */
  digest(): string;
}

type Crc32c = (input: Uint8Array, initialState?: number) => number;

/** @node-rs/crc32 (SIMD, prebuilt for each platform), or undefined where its binary is missing. */
function loadNodeRsCrc32c(): Crc32c | undefined {
  try {
    return (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: Crc32c }).crc32c;
  } catch {
    return undefined;
  }
}

const nativeCrc32c = loadNodeRsCrc32c();

/**
 * CRC32C of what came before (`crc`, 0 at the start) continued over `data`: what a part's
 * checksum is when its bytes are hashed batch by batch (part-progress.ts). Only with the native
 * CRC32C; undefined where it does not load (callers then hash the part whole).
 */
export const continueCrc32c: ((data: Uint8Array, crc: number) => number) | undefined = nativeCrc32c;

/** How a CRC32C value is written in part records. */
export function crc32cText(value: number): string {
  return `crc32c:${value.toString(16).padStart(8, '0')}`;
}

/** Which CRC32C this process uses: `@node-rs/crc32` (native SIMD) or `hash-wasm`. */
export const crc32cImplementation: 'native' | 'wasm' = nativeCrc32c ? 'native' : 'wasm';

export async function createPartChecksum(
  algorithm: PartChecksumAlgorithm,
  /** CRC32C from @node-rs/crc32 (where it loads) or from hash-wasm; the values are the same. */
  implementation: 'native' | 'wasm' = crc32cImplementation,
): Promise<PartChecksum> {
  if (algorithm === 'sha256') {
    const hash = createHash('sha256');
    return { update: (data) => void hash.update(data), digest: () => hash.digest('hex') };
  }
  const crc32c = implementation === 'native' ? nativeCrc32c : undefined;
  if (!crc32c) {
    // hash-wasm's CRC32C (same polynomial), for platforms without @node-rs/crc32: loaded only then.
    const { createCRC32 } = await import('hash-wasm');
    const hasher = await createCRC32(0x82f63b78);
    hasher.init();
    return { update: (data) => void hasher.update(data), digest: () => `crc32c:${hasher.digest('hex')}` };
  }
  let value = 0;
  return {
    update: (data) => {
      value = crc32c(data, value);
    },
    digest: () => crc32cText(value),
  };
}

/** The algorithm a stored checksum was written with. */
export function partChecksumAlgorithm(checksum: string): PartChecksumAlgorithm | undefined {
  if (/^crc32c:[0-9a-f]{8}$/.test(checksum)) return 'crc32c';
  if (/^[0-9a-f]{64}$/.test(checksum)) return 'sha256';
  return undefined;
}

/** A part's checksum in one call. */
export async function partChecksumOf(data: Uint8Array, algorithm: PartChecksumAlgorithm): Promise<string> {
  const checksum = await createPartChecksum(algorithm);
  checksum.update(data);
  return checksum.digest();
}

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
