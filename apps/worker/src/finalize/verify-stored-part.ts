import type { HashPool } from '@longshore/digest';
import type { UploadStore } from '@longshore/metadata';
import type { VerifyPartJobData } from '@longshore/queue';
import {
  PartMissingError,
  PartNotReadableError,
  PathNotFoundError,
  ShortReadError,
  sessionFromJson,
  type StorageDriver,
} from '@longshore/storage';
import { storedPartMatches } from './hash-stored-parts.js';

export interface VerifyPartDeps {
  storage: StorageDriver;
  hashPool: Pick<HashPool, 'checksumFileRange' | 'hashFileRanges'>;
  uploads: Pick<UploadStore, 'markPartChecked'>;
  onVerifiedBytes?(bytes: number): void;
}

/**
 * The background check of one part while its upload goes on: re-read the stored part, compare
 * with the checksum recorded on arrival, and flush it to disk so completion has little left to
 * fsync. Finalization trusts an 'ok' verdict and rejects the layer on a 'bad' one.
 */
export async function verifyStoredPart(job: VerifyPartJobData, deps: VerifyPartDeps): Promise<'ok' | 'bad' | 'gone'> {
  const session = sessionFromJson(job.storageSession, job.uploadId);
  const local = deps.storage.localParts;
  if (job.flushOnly && local) {
    if (!(await local.flushPart(session, job.partNumber))) return 'gone';
    await deps.uploads.markPartChecked(job.uploadId, job.partNumber, true);
    return 'ok';
  }
  const recorded = job.checksum ?? job.sha256 ?? '';
  let ok: boolean;
  try {
    const part = { partNumber: job.partNumber, length: job.length };
    ok = await storedPartMatches(deps, session, part, recorded, { sync: true });
  } catch (err) {
    // The upload was finalized (its parts published) or abandoned first: finalization did or
    // will do the check.
    if (isGone(err)) return 'gone';
    // Straight into an S3 multipart upload: unreadable until completion, checked by the store.
    if (err instanceof PartNotReadableError) return 'gone';
    throw err;
  }
  if (ok) deps.onVerifiedBytes?.(job.length);
  await deps.uploads.markPartChecked(job.uploadId, job.partNumber, ok);
  return ok ? 'ok' : 'bad';
}

/** A part file gone (or cut short) from under the check, by storage or on a pool thread. */
function isGone(err: unknown): boolean {
  return err instanceof PathNotFoundError || err instanceof PartMissingError || err instanceof ShortReadError;
}
