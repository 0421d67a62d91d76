import type { HashPool } from '@longshore/digest';
import type { UploadStore } from '@longshore/metadata';
import type { VerifyPartJobData } from '@longshore/queue';
import {
  PartMissingError,
  PartNotReadableError,
  PathNotFoundError,
  ShortReadError,
  bootOfMark,
  sessionFromJson,
  type LocalParts,
  type StorageDriver,
  type UploadSession,
} from '@longshore/storage';
import { storedPartMatches } from './hash-stored-parts.js';

export interface VerifyPartDeps {
  storage: StorageDriver;
  hashPool: Pick<HashPool, 'checksumFileRange' | 'hashFileRanges'>;
  uploads: Pick<UploadStore, 'markPartChecked'>;
  onVerifiedBytes?(bytes: number): void;
  /** This machine's boot id (storage's `currentBootId`); see machine-boot.ts. */
  bootId?: string | undefined;
}

/**
 * The background check of one part while its upload goes on: re-read the stored part, compare
 * with the checksum recorded on arrival, and flush it to disk so completion has little left to
 * fsync. Finalization trusts an 'ok' verdict and rejects the layer on a 'bad' one.
 */
export async function verifyStoredPart(job: VerifyPartJobData, deps: VerifyPartDeps): Promise<'ok' | 'bad' | 'gone'> {
  const session = sessionFromJson(job.storageSession, job.uploadId);
  const local = deps.storage.localParts;
  const recorded = job.checksum ?? job.sha256 ?? '';
  if (job.flushOnly && local) {
    // Only the machine that wrote the parts, in the same boot, can vouch for them by a flush.
    if (job.bootId === undefined || job.bootId === deps.bootId) return flushParts(job, session, local, deps);
    // Written elsewhere or before a reboot: read back against the checksum; with only a boot
    // mark there is none, so completion re-hashes the layer.
    if (bootOfMark(recorded) !== undefined) return 'gone';
  }
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

/** fsyncs the job's parts (together) and records those still there as checked. */
async function flushParts(
  job: VerifyPartJobData,
  session: UploadSession,
  local: LocalParts,
  deps: VerifyPartDeps,
): Promise<'ok' | 'gone'> {
  const numbers = job.partNumbers ?? [job.partNumber];
  const flushed = await Promise.all(numbers.map((n) => local.flushPart(session, n)));
  const present = numbers.filter((_, i) => flushed[i]);
  if (present.length === 0) return 'gone';
  await deps.uploads.markPartChecked(job.uploadId, present, true);
  return 'ok';
}

/** A part file gone (or cut short) from under the check, by storage or on a pool thread. */
function isGone(err: unknown): boolean {
  return err instanceof PathNotFoundError || err instanceof PartMissingError || err instanceof ShortReadError;
}
