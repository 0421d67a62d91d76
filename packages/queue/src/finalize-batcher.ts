import { isUploadFinished } from '@longshore/domain';
import type { UploadAnnouncement } from '@longshore/metadata';
import type { CompletionWaiter } from './completion-waiter.js';
import type { FinalizeQueue, FinalizeUpload } from './finalize-queue.js';

export interface FinalizeBatchLimits {
  /** FINALIZE_BATCH_MAX_UPLOADS: the most uploads one job carries. */
  maxUploads: number;
  /** FINALIZE_BATCH_MAX_WAIT_MS: the longest a completion waits to be sent while others are in flight. */
  maxWaitMs: number;
  /** FINALIZE_BATCH_MAX_IN_FLIGHT: this process's jobs queued or running before completions gather. */
  maxInFlight: number;
}

export interface FinalizeBatcherDeps {
  /** Adds one finalize job carrying `uploads`; resolves once it is in the queue. */
  send(uploads: FinalizeUpload[]): Promise<unknown>;
  /**
   * Resolves once every upload of a sent job has settled (or it is given up on, or `signal`
   * aborts): the job is then no longer in flight. Called before `send`, so no settlement can be
   * missed.
   */
  settled(uploadIds: string[], signal?: AbortSignal): Promise<unknown>;
  /** Each job's size, as sent (the `longshore_finalize_batch_size` histogram). */
  sent?(size: number): void;
}

/**
 * A place for one lone completion's job among this process's jobs in flight, taken before its
 * completion's script is sent, so the job can be added right behind the script (see
 * UploadService.handOver) instead of after its answer.
 */
export interface LoneSlot {
  /** Adds the job carrying `upload` (once); resolves once it is in the queue. */
  send(upload: FinalizeUpload): Promise<void>;
  /**
   * The slot's job will not carry a fresh completion (refused, joined, or never sent): it stops
   * counting as in flight at once. Idempotent.
   */
  release(): void;
}

interface Pending {
  upload: FinalizeUpload;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Group commit, the API's half: one per API process. A completion that arrives while fewer than
 * `maxInFlight` of this process's jobs are queued or running is sent at once (with whatever else
 * arrived in the same turn of the event loop), so a lone push waits for nothing; completions that
 * arrive while the jobs in flight are at the limit gather, and are sent as one job when one of
 * those settles, when `maxUploads` have gathered, or when the oldest has waited `maxWaitMs`.
 *
 * `submit` resolves only once the job carrying the upload is in the queue (it rejects when the
 * add failed): nothing is acknowledged to a client before that. An upload whose job was never
 * added (the process died while it gathered) is still `queued`; the client's repeated completion
 * adds its recovery job (UploadService).
 */
export class FinalizeBatcher {
  private gathering: Pending[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;

  constructor(
    private readonly limits: FinalizeBatchLimits,
    private readonly deps: FinalizeBatcherDeps,
  ) {}

  /** Resolves once a job carrying `upload` has been added to the queue. */
  submit(upload: FinalizeUpload): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.gathering.push({ upload, resolve, reject });
      this.schedule();
    });
  }

  /**
   * A slot for a lone completion's job, when this process would send it at once anyway: nothing
   * is gathering and fewer than `maxInFlight` jobs are in flight. Undefined otherwise (submit
   * it). The slot counts as in flight until its job settles or it is released.
   */
  takeSlot(): LoneSlot | undefined {
    if (this.gathering.length > 0 || this.inFlight >= this.limits.maxInFlight) return undefined;
    const slot = this.openSlot();
    return { send: (upload) => slot.send([upload]), release: slot.release };
  }

  /**
   * One job's place among this process's jobs in flight, counted from now until the job's
   * uploads have settled, its add failed, or the place is released (idempotent). `send` adds the
   * job (once) and resolves once it is in the queue.
   */
  private openSlot(): { send(uploads: FinalizeUpload[]): Promise<void>; release(): void } {
    this.inFlight++;
    const stop = new AbortController();
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      stop.abort();
      this.inFlight--;
      this.schedule();
    };
    let added: Promise<void> | undefined;
    const send = (uploads: FinalizeUpload[]) => {
      if (added) return added;
      const settled = this.deps.settled(
        uploads.map((upload) => upload.uploadId),
        stop.signal,
      );
      added = this.deps.send(uploads).then(() => {
        this.deps.sent?.(uploads.length);
        settled.then(release, release);
      });
      added.catch(release);
      return added;
    };
    return { send, release };
  }

  /** Jobs of this process queued or running now. */
  get jobsInFlight(): number {
    return this.inFlight;
  }

  private schedule(): void {
    if (this.gathering.length === 0) return;
    if (this.gathering.length >= this.limits.maxUploads) {
      this.flush();
    } else if (this.inFlight < this.limits.maxInFlight) {
      // Completions that arrive in the same turn go together.
      this.soon ??= setImmediate(() => {
        this.soon = undefined;
        if (this.inFlight < this.limits.maxInFlight) this.flush();
        else this.schedule();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.limits.maxWaitMs);
    }
  }

  private flush(): void {
    const batch = this.gathering.splice(0, this.limits.maxUploads);
    if (batch.length === 0) return;
    if (this.gathering.length === 0) this.clearTimers();
    this.openSlot()
      .send(batch.map((pending) => pending.upload))
      .then(
        () => {
          for (const pending of batch) pending.resolve();
        },
        (err: unknown) => {
          for (const pending of batch) pending.reject(err);
        },
      );
    this.schedule();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * The batcher of one API process: sends batches to `queue`, and learns that a job settled from
 * the uploads' own status announcements (`waiter`; nobody reads BullMQ's event stream). A job not
 * settled within `settleWaitMs` (no worker running) stops counting as in flight.
 */
export function createFinalizeBatcher(
  queue: Pick<FinalizeQueue, 'add'>,
  waiter: Pick<CompletionWaiter, 'waitFor'>,
  limits: FinalizeBatchLimits,
  settleWaitMs: number,
  sent?: (size: number) => void,
): FinalizeBatcher {
  const finished = (record: UploadAnnouncement | undefined) => !record || isUploadFinished(record.status);
  // Nothing can have been announced before the waits begin (the job is not added yet): no reads.
  const noRead = async () => false;
  return new FinalizeBatcher(limits, {
    send: (uploads) => queue.add(uploads),
    settled: (uploadIds, signal) =>
      Promise.all(uploadIds.map((id) => waiter.waitFor(id, finished, settleWaitMs, signal, noRead, false))),
    ...(sent ? { sent } : {}),
  });
}
