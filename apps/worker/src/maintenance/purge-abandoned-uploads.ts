import { isUploadFinished } from '@longshore/domain';
import type { UploadStore } from '@longshore/metadata';
import type { StorageDriver, UploadListing } from '@longshore/storage';

export interface PurgeDeps {
  storage: Pick<StorageDriver, 'listUploads' | 'abortUpload'>;
  uploads: Pick<UploadStore, 'getMany'>;
}

const BATCH = 100;

/**
 * Aborts the storage sessions of uploads Redis no longer knows — abandoned ones whose record
 * expired (UPLOAD_TTL_SECONDS idle) — and of finished ones, whose leftovers (parts nobody
 * committed, a finalization that died before cleaning up) remain. Published blobs are never
 * touched. A session changed within `graceMs` is left alone, so nothing in flight is touched.
 */
export async function purgeAbandonedUploads(deps: PurgeDeps, graceMs: number, now = Date.now()): Promise<string[]> {
  const purged: string[] = [];
  let batch: UploadListing[] = [];
  const flush = async () => {
    const records = await deps.uploads.getMany(batch.map((listing) => listing.session.uploadId));
    for (const [i, listing] of batch.entries()) {
      const record = records[i];
      if (record && !isUploadFinished(record.status)) continue;
      if (now - listing.modifiedAt.getTime() < graceMs) continue;
      await deps.storage.abortUpload(listing.session);
      purged.push(listing.session.uploadId);
    }
    batch = [];
  };
  for await (const listing of deps.storage.listUploads()) {
    batch.push(listing);
    if (batch.length === BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return purged;
}
