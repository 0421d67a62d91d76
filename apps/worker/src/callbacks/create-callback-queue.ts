import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import {
  CALLBACK_JOB,
  CALLBACK_QUEUE,
  callbackJobId,
  callbackJobOptions,
  type CallbackJobData,
} from '@longshore/queue';
import type { CallbackQueue } from '../finalize/settle-upload.js';

/** The callback queue on BullMQ: one delivery job per upload, retried with backoff. */
export function createCallbackQueue(
  connection: Redis | Cluster,
  prefix: string,
  policy: { attempts: number; backoffMs: number },
  onError?: (err: Error) => void,
): CallbackQueue & { close(): Promise<void> } {
  const queue = new Queue<CallbackJobData>(CALLBACK_QUEUE, { connection, prefix });
  if (onError) queue.on('error', onError);
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
