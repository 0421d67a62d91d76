import { storageLayout } from '@longshore/domain';
import type { HashPool } from '@longshore/digest';
import type { UploadStore } from '@longshore/metadata';
import type { VerifyPartJobData } from '@longshore/queue';
import type { StorageDriver } from '@longshore/storage';
import { hashStoredRange } from './hash-stored-range.js';

export interface VerifyPartDeps {
  storage: StorageDriver;
  hashPool: HashPool;
  uploads: Pick<UploadStore, 'markPartChecked'>;
  onVerifiedBytes?(bytes: number): void;
}

/**
 * The background check of one part while its upload goes on: re-read the stored bytes, compare
 * with the checksum recorded on arrival, and flush the file so completion has little left to
 * fsync. Finalization trusts an 'ok' verdict and rejects the layer on a 'bad' one.
 */
export async function verifyStoredPart(job: VerifyPartJobData, deps: VerifyPartDeps): Promise<'ok' | 'bad' | 'gone'> {
  const path = storageLayout.uploadData(job.uploadId);
  let hex: string;
  try {
    hex = await hashStoredRange(deps, path, job.offset, job.offset + job.length - 1);
  } catch (err) {
    // The upload was finalized (or abandoned) first: finalization did or will do the check.
    if (isGone(err)) return 'gone';
    throw err;
  }
  const ok = hex === job.sha256;
  if (ok) {
    await deps.storage.sync(path).catch((err: unknown) => (isGone(err) ? undefined : Promise.reject(err)));
    deps.onVerifiedBytes?.(job.length);
  }
  await deps.uploads.markPartChecked(job.uploadId, job.offset, ok);
  return ok ? 'ok' : 'bad';
}

function isGone(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  return e.code === 'ENOENT' || e.name === 'PathNotFoundError' || /short read/.test(e.message ?? '');
}
