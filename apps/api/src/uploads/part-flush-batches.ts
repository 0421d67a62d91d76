/** 64 MiB: seven 10 MiB parts per job; completion fsyncs the (at most six) left over itself. */
export const FLUSH_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Streamed parts of one upload gathered into one flush job (`flushOnly`, several `partNumbers`)
 * instead of a BullMQ job each: a job costs several Redis scripts (each fsynced by the AOF) and a
 * round of the worker, per 10 MiB part about 100 jobs per GiB. The parts gathered are the ones
 * this process wrote, so one boot id covers them all (machine-boot.ts). Parts left over when the
 * upload completes are fsynced by the completion with the others it has not seen flushed; an
 * upload that never completes just leaves its entry until `maxUploads` newer ones push it out.
 */
export class PartFlushBatches {
  private readonly pending = new Map<string, { partNumbers: number[]; bytes: number }>();

  constructor(
    /** A batch is sent once its parts hold this many bytes. */
    private readonly batchBytes: number,
    private readonly maxUploads = 1024,
  ) {}

  /** Adds a stored part; answers the batch to flush now (its part numbers and bytes), if full. */
  add(uploadId: string, partNumber: number, bytes: number): { partNumbers: number[]; bytes: number } | undefined {
    const batch = this.pending.get(uploadId) ?? { partNumbers: [], bytes: 0 };
    batch.partNumbers.push(partNumber);
    batch.bytes += bytes;
    if (batch.bytes >= this.batchBytes) {
      this.pending.delete(uploadId);
      return batch;
    }
    if (!this.pending.has(uploadId)) {
      this.pending.set(uploadId, batch);
      if (this.pending.size > this.maxUploads) this.pending.delete(this.pending.keys().next().value!);
    }
    return undefined;
  }

  /** How many uploads have parts waiting. */
  get size(): number {
    return this.pending.size;
  }
}
