import { rebuildIndex, type RebuildSummary } from '@longshore/metadata';
import { CliError } from '../cli-error.js';
import type { Registry } from '../connect.js';
import type { Output } from '../output.js';
import { createProgress } from '../progress.js';

/**
 * `longshore rebuild-index`: derives every Redis index (repositories, images, tags, listings,
 * referrers, layer links, the blob index, pull-through cache rules) from the records in the storage. For after the loss
 * of Redis; best run with the API stopped (see rebuildIndex).
 */
export async function runRebuildIndex(registry: Registry, out: Output): Promise<RebuildSummary> {
  const { records } = registry.stores;
  if (!records) throw new CliError('the stores were built without the storage'); // unreachable: connect() passes it
  const progress = createProgress('rebuilding', out.json);
  let summary: RebuildSummary;
  try {
    summary = await rebuildIndex({
      redis: registry.redis,
      keys: registry.stores.keys,
      records,
      storage: registry.storage,
      onProgress: (p) => progress.update(p.done, p.total, p.repositoryName ?? ''),
    });
  } finally {
    progress.stop();
  }
  out.result(summary, () => [
    `rebuilt the index from the ${registry.storage.name} storage: ${summary.repositories} repositories, ${summary.images} images, ${summary.tags} tags, ${summary.blobs} blobs`,
    ...(summary.missingBlobs.length > 0
      ? [`blobs referenced by images but missing from the storage: ${summary.missingBlobs.join(', ')}`]
      : []),
    ...(summary.danglingTags.length > 0
      ? [`tags naming images the storage does not hold (left out): ${summary.danglingTags.join(', ')}`]
      : []),
    ...(summary.leftovers.length > 0
      ? [`directories of deleted repositories (left in place): ${summary.leftovers.join(', ')}`]
      : []),
    ...(summary.pullThroughRules > 0 ? [`pull-through cache rules restored: ${summary.pullThroughRules}`] : []),
  ]);
  return summary;
}
