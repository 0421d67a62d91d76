import type { ManifestReads } from '../v2/manifest-routes.js';
import type { PullThroughCache } from './pull-through-cache.js';

/**
 * The image service as the /v2 door reads it, with the pull-through cache in front of its
 * manifest reads (everything else is the service's own).
 */
export function withPullThrough<T extends ManifestReads>(images: T, cache: PullThroughCache): T {
  const reads: ManifestReads = {
    getManifest: (name, reference, access) => cache.getManifest(name, reference, access ?? { importAllowed: true }),
    headManifest: (name, reference, access) => cache.headManifest(name, reference, access ?? { importAllowed: true }),
  };
  return Object.assign(Object.create(images) as T, reads);
}
