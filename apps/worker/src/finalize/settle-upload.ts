import { isUploadFinished, type RefusalRecord } from '@longshore/domain';
import type { UploadStatus, UploadStore } from '@longshore/metadata';
import type { Logger } from '@longshore/telemetry';

/** Queues the delivery of an upload's callback (idempotent per upload). */
export interface CallbackQueue {
  enqueue(uploadId: string, url: string): Promise<void>;
}

/**
 * `callbackUrl`, when given, is the upload's callback URL as its finalization read it (`null`:
 * none), which spares settling a read of the record; when absent the record is read.
 */
export type SettledOutcome = (
  | {
      outcome: 'completed';
      layerDigest: string;
      layerSize: number;
      /** Recorded (and announced) already, by the finalization's last script: only the callback is left. */
      recorded?: UploadStatus | 'missing';
    }
  | { outcome: 'failed'; error: RefusalRecord }
) & { callbackUrl?: string | null };

export interface SettleDeps {
  uploads: Pick<UploadStore, 'recordCompleted' | 'recordFailed' | 'get'>;
  callbacks: CallbackQueue;
}

/**
 * The one place an upload's life ends: records its outcome and announces it on its events
 * channel (one Lua script, so no waiter misses it), then queues its callback, if it has one.
 * The first outcome recorded wins, so settling again (a re-run job) changes nothing but may
 * re-queue the same callback job, which is idempotent. A callback that cannot be queued is
 * logged and never fails the upload.
 */
export async function settleUpload(
  uploadId: string,
  outcome: SettledOutcome,
  deps: SettleDeps,
  log: Logger,
): Promise<void> {
  const status =
    outcome.outcome === 'completed'
      ? (outcome.recorded ?? (await deps.uploads.recordCompleted(uploadId, outcome.layerDigest, outcome.layerSize)))
      : await deps.uploads.recordFailed(uploadId, outcome.error);
  try {
    if (outcome.callbackUrl !== undefined) {
      // Known from finalization; the recording script said whether the upload is still there.
      if (outcome.callbackUrl && isUploadFinished(status)) {
        await deps.callbacks.enqueue(uploadId, outcome.callbackUrl);
      }
      return;
    }
    const record = await deps.uploads.get(uploadId);
    if (record?.callbackUrl && isUploadFinished(record.status)) {
      await deps.callbacks.enqueue(uploadId, record.callbackUrl);
    }
  } catch (err) {
    log.error({ err }, 'could not queue the upload callback');
  }
}
