import { randomBytes } from 'node:crypto';
import type { BlobIndex, BlobReferences } from '@longshore/metadata';
import type { StorageDriver } from '@longshore/storage';

export interface GarbageCollectionDeps {
  blobs: Pick<BlobIndex, 'digests' | 'mark' | 'unmark' | 'sweep' | 'collecting' | 'forget'>;
  references: Pick<BlobReferences, 'all'>;
  storage: Pick<StorageDriver, 'statBlob' | 'deleteBlob'>;
  /** How long a blob stays unreferenced, marked, before it may be deleted (GC_GRACE_SECONDS). */
  graceMs: number;
  /** Called once per deleted blob with its size (0 when it was already gone). */
  onDeleted?(bytes: number): void;
}

export interface GarbageCollectionReport {
  /** Blobs deleted (including those a stopped collection had left half done). */
  deleted: number;
  /** Bytes those blobs held. */
  bytes: number;
  /** Unreferenced blobs marked and not yet old enough to delete. */
  waiting: number;
}

/**
 * One online garbage collection of blobs nothing references, safe against concurrent pushes:
 *
 * 1. **Mark** every indexed digest (BlobIndex.mark: a mark that stands keeps its time). Anyone
 *    about to reference a blob first retains it (BlobIndex.retain/claim), which clears the mark.
 * 2. **Read references**, after every mark is set: in-flight uploads, then layer links, then
 *    manifests (BlobReferences.all). Referenced digests are unmarked.
 * 3. **Sweep** each unreferenced digest marked at least the grace period ago: one Lua script
 *    re-checks that its mark is still the one read (no retain since) and turns its index entry
 *    into a tombstone; the blob is deleted through the storage port; then the tombstone goes.
 *
 * Why no reference survives to a deleted blob: take a reference whose maker retained at time r,
 * and a sweep at s of a mark set at m (m < the reference read < s).
 * - m < r < s: the retain cleared the mark, so the sweep's re-check fails. Impossible.
 * - r < m: the maker is visible from before r until for ever (an upload is in flight from before
 *   it retains until after it links; a mount retains again once it linked: see linkRetainedLayer), and the read of
 *   references, after m, sees it — in flight or linked (uploads are read before links, so a
 *   move from one to the other is not missed). The digest is unmarked, not swept.
 * - s < r: the retain finds the tombstone (a finalization fails transiently and is retried; a
 *   mount takes its link back) or, once the blob is deleted, no entry, and the finalization
 *   publishes its own parts. The tombstone is removed only after the delete finished, so a
 *   content-addressed store (the filesystem) never loses a re-published blob to a late delete.
 *
 * The grace period adds a margin for references made by paths that never retain.
 */
export async function collectGarbage(deps: GarbageCollectionDeps): Promise<GarbageCollectionReport> {
  const { blobs, storage } = deps;
  const report: GarbageCollectionReport = { deleted: 0, bytes: 0, waiting: 0 };
  const reclaim = async (digest: string, location: string) => {
    const size = await storage.statBlob(location).then(
      (info) => info.size,
      () => 0,
    );
    await storage.deleteBlob(location);
    await blobs.forget(digest, location, size);
    report.deleted += 1;
    report.bytes += size;
    deps.onDeleted?.(size);
  };

  const marks = new Map<string, string>();
  const stopped: [string, string][] = [];
  for await (const batch of blobs.digests()) {
    for (const digest of batch) {
      const collecting = await blobs.collecting(digest);
      if (collecting !== undefined) {
        stopped.push([digest, collecting]);
        continue;
      }
      const mark = await blobs.mark(digest, newMark(Date.now()));
      if (mark) marks.set(digest, mark);
    }
  }
  for (const [digest, location] of stopped) await reclaim(digest, location);

  const live = await deps.references.all();
  for (const [digest, mark] of marks) {
    if (live.has(digest)) {
      await blobs.unmark(digest, mark);
      continue;
    }
    if (!isOldEnough(mark, deps.graceMs, Date.now())) {
      report.waiting += 1;
      continue;
    }
    const location = await blobs.sweep(digest, mark);
    if (location !== undefined) await reclaim(digest, location);
  }
  return report;
}

/** A mark: when it was set, and a random part so one collection's mark is never taken for another's. */
export function newMark(nowMs: number): string {
  return `${nowMs}:${randomBytes(6).toString('hex')}`;
}

/** Whether a mark was set at least `graceMs` before `nowMs` (an unreadable mark is treated as new). */
export function isOldEnough(mark: string, graceMs: number, nowMs: number): boolean {
  const markedAt = Number(mark.slice(0, mark.indexOf(':')));
  return Number.isFinite(markedAt) && markedAt > 0 && markedAt + graceMs <= nowMs;
}
