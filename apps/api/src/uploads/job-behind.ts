import { RefusedError } from '@longshore/domain';
import type { JobBehind } from '@longshore/metadata';
import { finalizeJobId, type FinalizeBatcher, type FinalizeQueue, type FinalizeUpload } from '@longshore/queue';
import type { Redis } from 'ioredis';

/**
 * What sends a lone completion's finalize job right behind its script, on a single Redis
 * (docs/architecture.md, Group commit): the queue's connection, the batcher's slots, the queue.
 */
export interface JobBehindDeps {
  connection: Redis;
  slots: Pick<FinalizeBatcher, 'takeSlot'>;
  queue: Pick<FinalizeQueue, 'withdraw'>;
}

/** How a completion's job goes the usual way: added after the script's answer, or as a recovery job. */
export interface UsualEnqueue {
  submit(upload: FinalizeUpload): Promise<void>;
  recover(upload: FinalizeUpload): Promise<unknown>;
}

/** One completion's job behind its script (`job`, for the store), and what the script's answer decides. */
export interface CompletionJobBehind {
  job: JobBehind;
  /** The script queued the upload: resolves once a job carrying it is in the queue. */
  queued(): Promise<void>;
  /** The completion joined one under way: the job (a harmless extra, or that one's) stops counting. */
  joined(): void;
  /** The script threw: a refusal's job is withdrawn, so the upload's job id is free for a later completion. */
  refused(err: unknown): Promise<void>;
}

/**
 * The job of a lone completion, to go right behind its script (JobBehind), when the batcher would
 * send it at once anyway; undefined otherwise (and on a Redis Cluster: no `deps`). Should the job
 * have run ahead of the script that queued the upload (that script sent again after NOSCRIPT, or
 * a later script of the same request), the upload's recovery job is added too.
 */
export function jobBehindCompletion(
  deps: JobBehindDeps | undefined,
  upload: FinalizeUpload,
  usual: UsualEnqueue,
): CompletionJobBehind | undefined {
  const slot = deps?.slots.takeSlot();
  if (!deps || !slot) return undefined;
  let sent: Promise<void> | undefined;
  const job: JobBehind = {
    connection: deps.connection,
    add: () => {
      sent = slot.send(upload);
      sent.catch(() => undefined); // waited for by queued() or refused()
    },
  };
  return {
    job,
    async queued() {
      if (!sent) {
        slot.release();
        return usual.submit(upload);
      }
      await sent;
      if (!job.queuedAhead) await usual.recover(upload);
    },
    joined: () => slot.release(),
    async refused(err) {
      slot.release();
      if (sent && err instanceof RefusedError && (await sent.then(() => true).catch(() => false))) {
        await deps.queue.withdraw(finalizeJobId(upload.uploadId)).catch(() => false);
      }
    },
  };
}
