import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import {
  VERIFY_JOB,
  VERIFY_QUEUE,
  verifyPartJobId,
  verifyPartJobOptions,
  type VerifyPartJobData,
} from './verify-job.js';

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
