import { partHashesOf, type HashPool, type PartHashes, type PartProgress } from '@longshore/digest';
import type { PrehashedPart } from '../uploads/part-arrival.js';

/** Decoded bytes go to a hash thread in batches of at least this much, one batch at a time. */
const BATCH_BYTES = 1024 * 1024;

export interface PartPrehashOptions {
  pool: Pick<HashPool, 'advancePart'>;
  /** The guessed layer state before this part (base64 as claims carry it; '' at a layer's start). */
  from: string;
  /**
   * Whether the part's CRC32C is taken too: not when large parts are recorded with a boot mark
   * instead (part-writer.ts), which needs no checksum of the bytes.
   */
  checksum: boolean;
  /** The part's layer state once stored, and whether this guess held (see PrehashedPart.hashed). */
  hashed(layerState: Uint8Array, guessed: boolean): void;
}

/**
 * Hashes an UploadLayerPart's decoded bytes while the rest of its body is still arriving, so the
 * answer does not wait for a 10 MiB part's SHA-256 and CRC32C (~8 ms on a hash thread) after the
 * body's last byte: only the last batch's.
 *
 * The part checksum needs nothing but the bytes. The layer's SHA-256 continues from the upload's
 * saved state, which only the claim returns, after the body (the upload id comes after the part
 * in SDK bodies). So it starts from a guess, the state the previous part on the same connection
 * left (a client sends an upload's parts one after another); the part writer uses the result only
 * when the claim's state is the guessed one, and hashes again otherwise (uploads/part-arrival.ts).
 *
 * Only memory lent from the decode buffers (SharedArrayBuffer slots, decode-buffers.ts) is
 * hashed this way: the thread reads it in place, so nothing is copied or moved, and it stays
 * where it is until `settled`, which the request awaits before the slot goes back. One batch is
 * in flight at a time (the next starts from the state the last one returned), and batches grow
 * when the thread falls behind, so a part costs a handful of tasks.
 */
export class PartPrehash {
  private buffer: Buffer | undefined;
  /** Bytes decoded so far, bytes handed to the thread so far, and the part's length once known. */
  private decodedBytes = 0;
  private sentBytes = 0;
  private partBytes: number | undefined;
  private progress: PartProgress;
  private running: Promise<void> | undefined;
  private stopped = false;
  private resolveHashes!: (hashes: PartHashes | undefined) => void;
  private readonly hashes = new Promise<PartHashes | undefined>((resolve) => {
    this.resolveHashes = resolve;
  });

  constructor(private readonly options: PartPrehashOptions) {
    this.progress = { layerState: Buffer.from(options.from, 'base64'), crc32c: options.checksum ? 0 : undefined };
  }

  /** The decode went on: `buffer` holds the part's bytes up to `length`. */
  decoded(buffer: Buffer, length: number): void {
    if (this.stopped) return;
    // Fresh memory is not hashed here; a part that outgrew its buffer neither (what is in flight
    // still reads the old one until `settled`).
    const sameMemory = this.buffer === undefined ? buffer.buffer instanceof SharedArrayBuffer : buffer === this.buffer;
    if (!sameMemory) {
      this.stop();
      return;
    }
    this.buffer = buffer;
    this.decodedBytes = length;
    this.pump();
  }

  /** The whole part was decoded into `blob` (a view on the buffer decoded into): its hashes, once done. */
  finish(blob: Buffer): PrehashedPart | undefined {
    if (this.buffer === undefined) this.decoded(blob, blob.length);
    const buffer = this.buffer;
    const sameMemory = buffer && blob.buffer === buffer.buffer && blob.byteOffset === buffer.byteOffset;
    if (this.stopped || !sameMemory || blob.length < this.decodedBytes) {
      this.stop();
      return undefined;
    }
    this.decodedBytes = blob.length;
    this.partBytes = blob.length;
    this.pump();
    return {
      from: this.options.from,
      hashes: () => this.hashes,
      hashed: (layerState, guessed) => this.options.hashed(layerState, guessed),
    };
  }

  /** Once no batch is in flight and none will start: the memory may go back. */
  async settled(): Promise<void> {
    this.stop();
    while (this.running) await this.running;
  }

  private pump(): void {
    if (this.running || this.stopped) return;
    const pending = this.decodedBytes - this.sentBytes;
    if (this.partBytes !== undefined && pending === 0) {
      this.resolveHashes(partHashesOf(this.progress));
      return;
    }
    if (pending === 0 || (pending < BATCH_BYTES && this.partBytes === undefined)) return;
    const from = this.sentBytes;
    this.sentBytes = this.decodedBytes;
    const batch = this.buffer!.subarray(from, this.sentBytes);
    const last = this.sentBytes === this.partBytes;
    let advanced: Promise<PartProgress>;
    try {
      advanced = this.options.pool.advancePart({ data: batch, progress: this.progress, last });
    } catch {
      // A pool that cannot take the task (no thread could start) fails as a task would: the part
      // is hashed whole by the part writer, which answers for that failure on its own path.
      this.stop();
      return;
    }
    this.running = advanced.then(
      (progress) => {
        this.progress = progress;
        this.running = undefined;
        this.pump();
      },
      () => {
        this.running = undefined;
        this.stop();
      },
    );
  }

  /** No more batches: the hashes are not had this way (the part writer hashes the part whole). */
  private stop(): void {
    this.stopped = true;
    this.resolveHashes(undefined);
  }
}
