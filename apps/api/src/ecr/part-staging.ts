import type { StagedPartFile } from '@longshore/storage';
import type { StagedBytes } from '../uploads/part-arrival.js';

/** Decoded bytes are written in batches of at least this much (a few writes per 10 MiB part). */
const WRITE_BATCH_BYTES = 1024 * 1024;
/**
 * Batches before the last end on a multiple of this (storage's DIRECT_ALIGNMENT), so that each
 * starts and ends where the staged file can take it straight to the disk (staged-part-file.ts).
 */
const WRITE_ALIGNMENT = 4096;

/**
 * Writes an UploadLayerPart's decoded bytes to a staged file while the rest of its body is still
 * arriving, so that once the claim names the part its file only needs a hard link (~20 ms of
 * page-cache writing per 10 MiB part on a disk that throttles, taken off the answer's path).
 *
 * Only memory lent from the decode buffers (SharedArrayBuffer slots, decode-buffers.ts) is
 * staged: it stays where it is until the request lets it go, and `settled` must be awaited
 * before it does. The bytes in memory stay authoritative: a staging that fails, or that the
 * part outgrew (the decode moved to a larger buffer), adopts nothing and the part writer writes
 * the bytes as it would have. A staged file is written before the request is authenticated
 * but never read as a part unless an authenticated, claimed request adopts it.
 */
export class PartStaging {
  private file: Promise<StagedPartFile | undefined> | undefined;
  private buffer: Buffer | undefined;
  private queued = 0;
  private broken = false;
  /** The staged file was adopted, or its adoption failed (which removed it too). */
  private disposed = false;
  private complete = false;

  constructor(private readonly open: () => Promise<StagedPartFile>) {}

  /** The decode went on: `buffer` holds the part's bytes up to `length`. */
  decoded(buffer: Buffer, length: number): void {
    if (this.broken) return;
    if (this.buffer === undefined) {
      if (!(buffer.buffer instanceof SharedArrayBuffer)) {
        this.broken = true;
        return;
      }
      this.buffer = buffer;
      this.file = this.open().catch(() => undefined);
    } else if (buffer !== this.buffer) {
      // The part outgrew its buffer: what was queued still reads the old one until `settled`.
      this.broken = true;
      return;
    }
    if (length - this.queued >= WRITE_BATCH_BYTES) this.queue(length - (length % WRITE_ALIGNMENT));
  }

  /** The whole part was decoded (`length` bytes): what is left is queued, the result can be adopted. */
  finish(length: number): StagedBytes | undefined {
    if (this.broken || this.buffer === undefined) return undefined;
    this.queue(length);
    this.complete = true;
    return { adopt: (partPath) => this.adopt(partPath) };
  }

  /** Once every write settled and the staged file is adopted or removed: the memory may go back. */
  async settled(): Promise<void> {
    const file = await this.file;
    if (file && !this.disposed) await file.discard();
  }

  private queue(length: number): void {
    const buffer = this.buffer!;
    const from = this.queued;
    if (length <= from) return;
    this.queued = length;
    void this.file!.then((file) => file?.write(buffer.subarray(from, length), from));
  }

  private async adopt(partPath: string): Promise<{ direct: boolean } | undefined> {
    const file = await this.file;
    if (!file || !this.complete || this.broken || this.disposed) return undefined;
    try {
      return await file.adopt(partPath);
    } catch {
      return undefined;
    } finally {
      // Adoption removes the staged name whatever happened: nothing is left to discard.
      this.disposed = true;
    }
  }
}
