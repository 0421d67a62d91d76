import { type JobsOptions, Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';

/**
 * Large parts are checked against their recorded checksum (and flushed to disk) in the
 * background while the upload goes on, so completing a multi-GiB layer waits for little more
 * than its last part.
 */
export const VERIFY_QUEUE = 'verify-parts';
export const VERIFY_JOB = 'verify-part';

export interface VerifyPartJobData {
  uploadId: string;
  /** The upload's storage session (JSON), as stored with its record. */
  storageSession: string;
  /** The stored part to check: its claim's own part number. */
  partNumber: number;
  length: number;
  /** The part's checksum as recorded on arrival (`crc32c:<hex>`, or sha256 hex). */
  checksum: string;
  /** Jobs queued before CRC32C named the checksum `sha256`. */
  sha256?: string;
}

export function verifyPartJobId(uploadId: string, partNumber: number): string {
  return `verify-${uploadId}-${partNumber}`;
}

/** Best effort: finalization checks any part this did not get to. */
export const verifyPartJobOptions: JobsOptions = {
  attempts: 2,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 3600, count: 1000 },
};

export interface VerifyQueue {
  enqueue(data: VerifyPartJobData): Promise<void>;
  close(): Promise<void>;
}

/** `onError` receives the queue's connection errors (without it BullMQ prints them on stderr). */
export function createVerifyQueue(
  connection: Redis | Cluster,
  prefix: string,
  onError?: (err: Error) => void,
): VerifyQueue {
  const queue = new Queue<VerifyPartJobData>(VERIFY_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: verifyPartJobOptions,
  });
  queue.on('error', (err) => onError?.(err));
  return {
    async enqueue(data) {
      await queue.add(VERIFY_JOB, data, { jobId: verifyPartJobId(data.uploadId, data.partNumber) });
    },
    close: () => queue.close(),
  };
}
