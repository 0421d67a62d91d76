import { storageLayout } from '@longshore/domain';
import type { UploadStore } from '@longshore/metadata';
import { PathNotFoundError, type StorageDriver } from '@longshore/storage';

export interface PurgeDeps {
  storage: StorageDriver;
  uploads: Pick<UploadStore, 'getMany'>;
}

/**
 * Removes the bytes of uploads Redis no longer knows: abandoned ones whose record expired
 * (UPLOAD_TTL_SECONDS idle) and leftovers of a finalization that died between publishing and
 * clean-up. A directory younger than `graceMs` is left alone, so nothing in flight is touched.
 */
export async function purgeAbandonedUploads(deps: PurgeDeps, graceMs: number, now = Date.now()): Promise<string[]> {
  const ids = await deps.storage.list(storageLayout.uploadsRoot);
  const purged: string[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    const records = await deps.uploads.getMany(batch);
    for (const [j, uploadId] of batch.entries()) {
      if (records[j] && records[j].status !== 'completed' && records[j].status !== 'failed') continue;
      const modifiedAt = await deps.storage
        .stat(storageLayout.uploadData(uploadId))
        .then((info) => info.modifiedAt.getTime())
        .catch((err: unknown) => (err instanceof PathNotFoundError ? 0 : Promise.reject(err)));
      if (now - modifiedAt < graceMs) continue;
      await deps.storage.delete(storageLayout.uploadDir(uploadId));
      purged.push(uploadId);
    }
  }
  return purged;
}
