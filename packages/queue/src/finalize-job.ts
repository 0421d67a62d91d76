import type { JobsOptions } from 'bullmq';

/** The contract between the API, which enqueues finalization, and the workers, which run it. */
export const FINALIZE_QUEUE = 'finalize';
export const FINALIZE_JOB = 'finalize-layer';

export interface FinalizeJobData {
  uploadId: string;
  repositoryName: string;
  registryId: string;
  layerDigests: string[];
}

/** What a finished job returns (the upload's status record holds the same, for longer). */
export type FinalizeJobResult =
  | { outcome: 'completed'; layerDigest: string; layerSize: number }
  | { outcome: 'failed'; error: { name: string; message: string } };

/**
 * One job per upload: the id is derived from the upload id (BullMQ rejects ':' in custom ids),
 * so a repeated CompleteLayerUpload joins the job instead of starting a second one.
 */
export function finalizeJobId(uploadId: string): string {
  return `finalize-${uploadId}`;
}

export interface FinalizeJobPolicy {
  attempts: number;
  backoffMs: number;
}

/**
 * Transient failures retry with exponential backoff; finished jobs are trimmed so Redis memory
 * stays bounded (the upload's status record outlives them).
 */
export function finalizeJobOptions(policy: FinalizeJobPolicy): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 24 * 3600, count: 10_000 },
  };
}
