import { createHash, randomFillSync, type Hash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { partBodyHash } from './ecr-client.js';

export interface LayerPart {
  first: number;
  /** Inclusive. */
  last: number;
  bytes: Buffer;
  /** The base64 of `bytes`, as latin1 bytes ready to be written into a JSON body. */
  base64: Buffer;
  /** The SHA-256 state of an UploadLayerPart body up to the end of this base64 (computed once, when first asked). */
  blobHash(): Hash;
}

export interface SyntheticLayer {
  size: number;
  digest: string;
  partCount: number;
  part(index: number): LayerPart;
}

const POOL_PARTS = 4;
/** The shortest last part: its random bytes are what make each layer's content unique. */
const MIN_UNIQUE_BYTES = 16;

/**
 * Layers of any size without holding them in memory or spending the timed window on them:
 * every part but the last comes from a small pool of random parts (encoded to base64 once),
 * the last part is fresh random bytes, so each layer is distinct (no LayerAlreadyExists).
 * Because all layers share their leading parts, the SHA-256 state after those is computed
 * once per length and copied, and a layer's digest costs only its last part.
 */
export class LayerFactory {
  private pool: { bytes: Buffer[]; base64: Buffer[]; blobHash: (() => Hash)[] } | undefined;
  /** Hash state after the first n pool parts, by n. */
  private readonly prefixes = new Map<number, Hash>();

  constructor(readonly partBytes: number) {}

  /** Creates a layer; the digest pre-pass yields to the event loop between parts. */
  async create(size: number, signal?: AbortSignal, onProgress?: (fraction: number) => void): Promise<SyntheticLayer> {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`invalid layer size ${size}`);
    const { partBytes } = this;
    const partCount = Math.ceil(size / partBytes);
    const lastLength = size - (partCount - 1) * partBytes;
    if (lastLength < MIN_UNIQUE_BYTES) {
      throw new RangeError(
        `a layer of ${size} bytes would end in a ${lastLength}-byte part; make it at least ${MIN_UNIQUE_BYTES}`,
      );
    }
    const pool = this.poolParts();
    const lastBytes = randomFillSync(Buffer.allocUnsafe(lastLength));
    const lastBase64 = Buffer.from(lastBytes.toString('base64'), 'latin1');
    const lastPart: LayerPart = {
      first: (partCount - 1) * partBytes,
      last: size - 1,
      bytes: lastBytes,
      base64: lastBase64,
      blobHash: once(() => partBodyHash([lastBase64])),
    };
    const hash = (await this.prefixHash(partCount - 1, signal, onProgress)).copy();
    const digest = `sha256:${hash.update(lastBytes).digest('hex')}`;

    return {
      size,
      digest,
      partCount,
      part(index) {
        if (!Number.isInteger(index) || index < 0 || index >= partCount) throw new RangeError(`no part ${index}`);
        if (index === partCount - 1) return lastPart;
        const slot = index % POOL_PARTS;
        return {
          first: index * partBytes,
          last: (index + 1) * partBytes - 1,
          bytes: pool.bytes[slot]!,
          base64: pool.base64[slot]!,
          blobHash: pool.blobHash[slot]!,
        };
      },
    };
  }

  private poolParts(): NonNullable<LayerFactory['pool']> {
    if (!this.pool) {
      const bytes = Array.from({ length: POOL_PARTS }, () => randomFillSync(Buffer.allocUnsafe(this.partBytes)));
      const base64 = bytes.map((b) => Buffer.from(b.toString('base64'), 'latin1'));
      this.pool = { bytes, base64, blobHash: base64.map((b) => once(() => partBodyHash([b]))) };
    }
    return this.pool;
  }

  /** The state after `count` pool parts, extended from the longest shorter one already known. */
  private async prefixHash(
    count: number,
    signal?: AbortSignal,
    onProgress?: (fraction: number) => void,
  ): Promise<Hash> {
    const known = this.prefixes.get(count);
    if (known) return known;
    let start = 0;
    for (const n of this.prefixes.keys()) if (n < count && n > start) start = n;
    const hash = start > 0 ? this.prefixes.get(start)!.copy() : createHash('sha256');
    const pool = this.poolParts();
    for (let i = start; i < count; i += 1) {
      hash.update(pool.bytes[i % POOL_PARTS]!);
      if (i % 8 === 7) {
        onProgress?.((i + 1) / count);
        await yieldToLoop();
        signal?.throwIfAborted();
      }
    }
    this.prefixes.set(count, hash);
    return hash;
  }
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
