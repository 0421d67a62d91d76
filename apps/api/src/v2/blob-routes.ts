import { LayersNotFoundException } from '@longshore/domain';
import type { StorageDriver } from '@longshore/storage';
import { sendBlob, type BlobDelivery } from '../http/send-blob.js';
import type { LayerService } from '../layers/layer-service.js';
import type { PullThroughCache } from '../pull-through/pull-through-cache.js';
import { pullAccess } from './manifest-routes.js';
import { requireBlobDigest } from './oci-digest.js';
import type { V2Exchange, V2RouteFamily } from './v2-route.js';

export interface BlobRouteDeps {
  layers: Pick<LayerService, 'requireBlob' | 'unlink'>;
  storage: StorageDriver;
  registryId: string;
  /** Blob GETs redirect to the object store (S3_REDIRECT_DOWNLOADS) or stream through. */
  delivery?: BlobDelivery;
  /** Blobs of repositories under a pull-through cache rule that are not cached yet. */
  pullThrough?: Pick<PullThroughCache, 'serveBlob'>;
}

/** `/v2/<name>/blobs/<digest>`: HEAD, GET (with Range) and DELETE (unlinks it from the repository). */
export function blobRoutes(deps: BlobRouteDeps): V2RouteFamily {
  const serve = async (x: V2Exchange) => {
    const { req, res, target } = x;
    const { digest } = requireBlobDigest(target.reference, 'blob digest');
    const layer = await deps.layers.requireBlob(target.name, deps.registryId, digest).catch((err: unknown) => {
      if (deps.pullThrough && err instanceof LayersNotFoundException) return err;
      throw err;
    });
    if (layer instanceof LayersNotFoundException) {
      await deps.pullThrough!.serveBlob(x, target.name, digest, pullAccess(x), layer);
      return;
    }
    await sendBlob(req, res, deps.storage, { digest, ...layer }, deps.delivery);
  };
  return {
    HEAD: { operation: 'v2.HeadBlob', handle: serve },
    GET: { operation: 'v2.GetBlob', handle: serve },
    DELETE: {
      operation: 'v2.DeleteBlob',
      async handle({ res, target }) {
        const { digest } = requireBlobDigest(target.reference, 'blob digest');
        await deps.layers.unlink(target.name, deps.registryId, digest);
        res.status(202).set('Content-Length', '0').end();
      },
    },
  };
}
