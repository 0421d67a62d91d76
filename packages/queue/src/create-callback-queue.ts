import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import {
  CALLBACK_JOB,
  CALLBACK_QUEUE,
  callbackJobId,
  callbackJobOptions,
  type CallbackJobData,
} from './callback-job.js';

export interface CallbackQueue {
  /** Adds the upload's delivery job (one per upload: a second enqueue finds the first). */
  enqueue(uploadId: string, url: string): Promise<void>;
  close(): Promise<void>;
}

/** The callback queue on BullMQ: one delivery job per upload, retried with backoff. */
export function createCallbackQueue(
  connection: Redis | Cluster,
  prefix: string,
  policy: { attempts: number; backoffMs: number },
  onError?: (err: Error) => void,
): CallbackQueue {
  const queue = new Queue<CallbackJobData>(CALLBACK_QUEUE, { connection, prefix });
  queue.on('error', (err) => onError?.(err));
  return {
    async enqueue(uploadId, url) {
      await queue.add(
        CALLBACK_JOB,
        { uploadId, url },
        { ...callbackJobOptions(policy), jobId: callbackJobId(uploadId) },
      );
    },
    close: () => queue.close(),
  };
}
