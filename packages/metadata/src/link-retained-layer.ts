import { BlobBeingCollectedError, type BlobIndex } from './blob-index.js';
import type { LayerLink, LayerStore } from './layer-store.js';

export interface LayerReferenceDeps {
  layers: Pick<LayerStore, 'link' | 'unlink'>;
  blobs: Pick<BlobIndex, 'retain'>;
}

/**
 * The one order in which a repository comes to name a blob (a finalized upload, a `/v2` mount,
 * a pull-through copy), safe against a concurrent garbage collection (see collect-garbage.ts in
 * the worker):
 *
 * 1. **retain** the blob: clears a collection's mark on the digest, so a collection that marked
 *    it before keeps it; refused while one is deleting it, and nothing is linked;
 * 2. **link** the layer into the repository (idempotent for the same `link.uploadId`);
 * 3. **retain again**: a collection that marked the digest between 1 and 2 and read the
 *    references before the link became visible has its mark cleared now, before it may sweep;
 *    if it already swept, the link is taken back.
 *
 * Returns true when the repository holds the layer and its blob is retained, false when the
 * blob is not indexed or is being collected (nothing stays linked). Throws what the link
 * throws (LayerAlreadyExistsException for another upload's link, RepositoryNotFoundException).
 */
export async function linkRetainedLayer(
  deps: LayerReferenceDeps,
  repositoryName: string,
  registryId: string,
  digest: string,
  link: LayerLink,
): Promise<boolean> {
  if (!(await retained(deps.blobs, digest))) return false;
  await deps.layers.link(repositoryName, registryId, digest, link);
  if (await retained(deps.blobs, digest)) return true;
  await deps.layers.unlink(repositoryName, digest);
  return false;
}

async function retained(blobs: LayerReferenceDeps['blobs'], digest: string): Promise<boolean> {
  try {
    return (await blobs.retain(digest)) !== undefined;
  } catch (err) {
    if (err instanceof BlobBeingCollectedError) return false;
    throw err;
  }
}
