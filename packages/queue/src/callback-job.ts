import type { JobsOptions } from 'bullmq';

/** Callbacks are delivered by their own queue, so a slow receiver never slows finalization. */
export const CALLBACK_QUEUE = 'callbacks';
export const CALLBACK_JOB = 'deliver-callback';

export interface CallbackJobData {
  uploadId: string;
  url: string;
}

/** One delivery per upload, however often finalization runs: the id is derived from the upload. */
export function callbackJobId(uploadId: string): string {
  return `callback-${uploadId}`;
}

export function callbackJobOptions(policy: { attempts: number; backoffMs: number }): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}
