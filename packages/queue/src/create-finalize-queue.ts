import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import {
  FINALIZE_JOB,
  FINALIZE_QUEUE,
  finalizeJobId,
  finalizeJobOptions,
  type FinalizeJobData,
  type FinalizeJobPolicy,
  type FinalizeJobResult,
} from './finalize-job.js';

export interface FinalizeQueue {
  /** Adds the upload's finalize job, or finds the one already there (same id). */
  enqueue(data: FinalizeJobData): Promise<string>;
  readonly queue: Queue<FinalizeJobData, FinalizeJobResult>;
  close(): Promise<void>;
}

/** `onError` receives the queue's connection errors (without it BullMQ prints them on stderr). */
export function createFinalizeQueue(
  connection: Redis | Cluster,
  prefix: string,
  policy: FinalizeJobPolicy,
  onError?: (err: Error) => void,
): FinalizeQueue {
  const queue = new Queue<FinalizeJobData, FinalizeJobResult>(FINALIZE_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: finalizeJobOptions(policy),
  });
  queue.on('error', (err) => onError?.(err));
  return {
    queue,
    async enqueue(data) {
      const jobId = finalizeJobId(data.uploadId);
      await queue.add(FINALIZE_JOB, data, { jobId });
      return jobId;
    },
    close: () => queue.close(),
  };
}
