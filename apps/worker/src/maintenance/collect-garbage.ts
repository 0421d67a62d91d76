import { randomBytes } from 'node:crypto';
import type { BlobIndex, BlobReferences, LayerStore } from '@longshore/metadata';
import type { StorageDriver } from '@longshore/storage';

export interface GarbageCollectionDeps {
  blobs: Pick<BlobIndex, 'digests' | 'mark' | 'unmark' | 'sweep' | 'collecting' | 'forget'>;
  references: Pick<BlobReferences, 'read'>;
  /** Repository layer links naming a deleted blob go with it. */
  layers: Pick<LayerStore, 'unlink'>;
  storage: Pick<StorageDriver, 'statBlob' | 'deleteBlob'>;
  /** How long a blob stays unreferenced, marked, before it may be deleted (GC_GRACE_SECONDS). */
  graceMs: number;
  /** How long a standalone layer link keeps its blob (GC_LAYER_LINK_GRACE_SECONDS). */
  layerLinkGraceMs: number;
  /** Epoch ms now (default Date.now). */
  now?: () => number;
  /** Called once per deleted blob with its size (0 when it was already gone). */
  onDeleted?(bytes: number): void;
  /**
   * Tests only (TEST_HOLD_GC_AT=before-sweep): awaited after the references were read and before
   * the sweep, with the digests about to be swept, so a test drives a push into that window.
   */
  beforeSweep?(digests: string[]): Promise<void>;
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
 * One online garbage collection of blobs nothing references, marking from manifests as
 * distribution's GC does, safe against concurrent pushes:
 *
 * 1. **Mark** every indexed digest (BlobIndex.mark: a mark that stands keeps its time). Anyone
 *    about to reference a blob first retains it (BlobIndex.retain/claim), which clears the mark.
 * 2. **Read references**, after every mark is set (BlobReferences.read), in this order: pins of
 *    manifest pushes under way, in-flight uploads, layer links younger than
 *    GC_LAYER_LINK_GRACE_SECONDS (a layer uploaded for a PutImage still to come), then the
 *    blobs every manifest names. Referenced digests are unmarked. An older link alone keeps
 *    nothing: deleting the last image naming a layer frees it.
 * 3. **Sweep** each unreferenced digest marked at least the grace period ago: one Lua script
 *    re-checks that its mark is still the one read (no retain since) and turns its index entry
 *    into a tombstone; the blob is deleted through the storage port, then every repository
 *    link naming it (so layer checks and blob HEADs answer "missing", never a dangling link);
 *    then the tombstone goes.
 *
 * Why no reference survives to a deleted blob: take a reference whose maker retained at time r,
 * and a sweep at s of a mark set at m (m < the reference read < s). Makers: an upload (retains
 * while in flight, then links), a mount (retains, links, retains again: linkRetainedLayer), a
 * manifest push (pins its blobs, then retains each, then commits the manifest, then unpins;
 * ImageService.store in the API).
 * - m < r < s: the retain cleared the mark, so the sweep's re-check fails. Impossible.
 * - r < m: the maker is visible from before r until for ever: an upload is in flight from before
 *   it retains until after it links, and its link is young for the grace period (a link older
 *   than that at the read was made before m - grace, so a PutImage naming it later is a
 *   manifest push, which retains for itself); a mount retains again once it linked (then
 *   m < r); a push is pinned from before it retains until after its manifest is committed, and the manifest references
 *   the blob for as long as it exists. The read of references, after m, sees each of them (pins
 *   are read before manifests and uploads before links, so a move from one to the next is not
 *   missed). The digest is unmarked, not swept.
 * - s < r: the retain finds the tombstone (a finalization fails transiently and is retried; a
 *   mount takes its link back; a manifest push answers that the blob is missing) or, once the
 *   blob is deleted, no entry (a finalization publishes its own parts; a manifest push finds the
 *   link gone: links are removed before the tombstone, and the push reads them after it
 *   retains). The tombstone is removed only after the delete finished, so a content-addressed
 *   store (the filesystem) never loses a re-published blob to a late delete.
 *
 * GC_GRACE_SECONDS adds a margin for references made by paths that never retain.
 */
export async function collectGarbage(deps: GarbageCollectionDeps): Promise<GarbageCollectionReport> {
  const { blobs, storage } = deps;
  const now = deps.now ?? Date.now;
  const report: GarbageCollectionReport = { deleted: 0, bytes: 0, waiting: 0 };
  const reclaim = async (digest: string, location: string, linkedIn: string[] = []) => {
    const size = await storage.statBlob(location).then(
      (info) => info.size,
      () => 0,
    );
    await storage.deleteBlob(location);
    for (const repositoryName of linkedIn) await deps.layers.unlink(repositoryName, digest);
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
      const mark = await blobs.mark(digest, newMark(now()));
      if (mark) marks.set(digest, mark);
    }
  }

  const references = await deps.references.read({ now: now(), layerLinkGraceMs: deps.layerLinkGraceMs });
  for (const [digest, location] of stopped) await reclaim(digest, location, references.linkedIn.get(digest));
  const due: [string, string][] = [];
  for (const [digest, mark] of marks) {
    if (references.live.has(digest)) {
      await blobs.unmark(digest, mark);
      continue;
    }
    if (!isOldEnough(mark, deps.graceMs, now())) {
      report.waiting += 1;
      continue;
    }
    due.push([digest, mark]);
  }
  await deps.beforeSweep?.(due.map(([digest]) => digest));
  for (const [digest, mark] of due) {
    const location = await blobs.sweep(digest, mark);
    if (location !== undefined) await reclaim(digest, location, references.linkedIn.get(digest));
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
