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

export function createFinalizeQueue(
  connection: Redis | Cluster,
  prefix: string,
  policy: FinalizeJobPolicy,
): FinalizeQueue {
  const queue = new Queue<FinalizeJobData, FinalizeJobResult>(FINALIZE_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: finalizeJobOptions(policy),
  });
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
