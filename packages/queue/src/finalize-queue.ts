import { createHash } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { type JobsOptions, Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { RefusalRecord } from '@longshore/domain';

/*
 * The finalization queues: the contract between the API, which enqueues, and the workers, which
 * run the jobs. Finalize jobs publish uploads; verify jobs check large parts ahead of them, in
 * the background while the upload goes on.
 */

/** The contract between the API, which enqueues finalization, and the workers, which run it. */
export const FINALIZE_QUEUE = 'finalize';
export const FINALIZE_JOB = 'finalize-layer';

/** One upload a finalize job carries. */
export interface FinalizeUpload {
  uploadId: string;
  repositoryName: string;
  registryId: string;
  layerDigests: string[];
  /** A recovery job's: the dead job (failed by BullMQ's stall check) whose upload it takes over. */
  takeOver?: string;
}

/**
 * A finalize job carries a batch of uploads (group commit: see docs/architecture.md). A job
 * queued before batches existed carried one upload as its data; `uploadsOf` reads both.
 */
export interface FinalizeJobData {
  uploads: FinalizeUpload[];
}

export function uploadsOf(data: FinalizeJobData | FinalizeUpload): FinalizeUpload[] {
  return 'uploads' in data ? data.uploads : [data];
}

/** How one upload of a job ended (its status record holds the same, for longer). */
export type FinalizeUploadResult = { uploadId: string } & (
  | { outcome: 'completed'; layerDigest: string; layerSize: number }
  | { outcome: 'failed'; error: RefusalRecord }
  | { outcome: 'gone'; reason: string; elsewhere?: boolean }
);

/** What a finished job returns: each upload's outcome. */
export interface FinalizeJobResult {
  uploads: FinalizeUploadResult[];
}

/**
 * The id of an upload's finalization, recorded on the upload (`jobId`, shown by /v1), and the
 * id of the job of the batch it leads: a batch is named after its first upload, so a lone
 * upload's job is its own (BullMQ rejects ':' in custom ids). An upload is fresh only once, so
 * no two batches share an id.
 */
export function finalizeJobId(uploadId: string): string {
  return `finalize-${uploadId}`;
}

/**
 * The id of the recovery job a repeated completion adds for an upload still queued (one per
 * upload; never the id of a batch, so adding it cannot swallow a batch that is added later). One
 * that takes the upload over from a dead job adds a hash of that job's id to it.
 */
export function finalizeRecoveryJobId(uploadId: string): string {
  return `finalize-${uploadId}-recovery`;
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
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 24 * 3600, count: 10_000 },
  };
}

/**
 * BullMQ's events stream of the finalize queue: nobody reads it whole (the API hears of outcomes
 * on the uploads' own channels), so it is kept short; the default is 10,000 entries.
 */
const EVENTS_MAX_LEN = 100;

export interface FinalizeQueue {
  /** Adds one job carrying `uploads` (a batch); resolves with its id once it is in the queue. */
  add(uploads: FinalizeUpload[]): Promise<string>;
  /**
   * Adds the recovery job of one upload (`finalizeRecoveryJobId`), or finds the one already there:
   * for an upload queued by an API process that may have died before adding its batch.
   */
  recover(upload: FinalizeUpload): Promise<string>;
  /**
   * Removes the lone job `jobId` added right behind a completion that was then refused (see
   * UploadService.handOver), so the upload's id is free for its fresh completion later. A job a
   * worker holds is waited for (it finds the upload not queued and ends at once), a few times at
   * most. Best effort: whether it was removed (or was not there).
   */
  withdraw(jobId: string): Promise<boolean>;
  /**
   * Whether the job is dead: failed (BullMQ's stall check gives up on a job that stalled too
   * often, and nothing settles its uploads) or gone, so nothing will finalize what it owns.
   */
  isDead(jobId: string): Promise<boolean>;
  readonly queue: Queue<FinalizeJobData, FinalizeJobResult>;
  close(): Promise<void>;
}

/** How often, and how far apart, a withdrawn job a worker holds is tried again (see FinalizeQueue.withdraw). */
const WITHDRAW_ATTEMPTS = 20;
const WITHDRAW_RETRY_MS = 25;

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
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  });
  queue.on('error', (err) => onError?.(err));
  return {
    queue,
    async add(uploads) {
      const jobId = finalizeJobId(uploads[0]!.uploadId);
      await queue.add(FINALIZE_JOB, { uploads }, { jobId });
      return jobId;
    },
    async recover(upload) {
      const jobId =
        upload.takeOver === undefined
          ? finalizeRecoveryJobId(upload.uploadId)
          : `${finalizeRecoveryJobId(upload.uploadId)}-${createHash('sha256').update(upload.takeOver).digest('hex').slice(0, 12)}`;
      await queue.add(FINALIZE_JOB, { uploads: [upload] }, { jobId });
      return jobId;
    },
    async withdraw(jobId) {
      for (let attempt = 0; attempt < WITHDRAW_ATTEMPTS; attempt++) {
        if ((await queue.remove(jobId)) === 1 || (await queue.getJobState(jobId)) === 'unknown') return true;
        await setTimeout(WITHDRAW_RETRY_MS);
      }
      return false;
    },
    async isDead(jobId) {
      const state = await queue.getJobState(jobId);
      return state === 'failed' || state === 'unknown';
    },
    close: () => queue.close(),
  };
}

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
  /**
   * Flush the part to disk and record it as checked, without reading it back: its writer took
   * `checksum` from the very bytes it wrote moments ago (a streamed body on a local driver), so
   * a re-read from the page cache would only compare them with themselves.
   */
  flushOnly?: boolean;
  /**
   * The boot id of the machine whose API wrote the part (storage's `currentBootId`): a flush on
   * a machine in another boot cannot vouch for the bytes (machine-boot.ts), so the part is read
   * back (with a checksum) or left to completion. Jobs without it are flushed as before.
   */
  bootId?: string;
  /**
   * Several parts flushed by one job (`flushOnly`), all written by one API process in `bootId`:
   * `partNumber` is the last of them (the job's id), `length` their bytes together.
   */
  partNumbers?: number[];
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
