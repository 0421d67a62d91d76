import type { StorageDriver } from '@longshore/storage';
import { sendBlob, type BlobDelivery } from '../http/send-blob.js';
import type { LayerService } from '../layers/layer-service.js';
import { requireBlobDigest } from './oci-digest.js';
import type { V2Exchange, V2RouteFamily } from './v2-route.js';

export interface BlobRouteDeps {
  layers: Pick<LayerService, 'requireBlob' | 'unlink'>;
  storage: StorageDriver;
  registryId: string;
  /** Blob GETs redirect to the object store (S3_REDIRECT_DOWNLOADS) or stream through. */
  delivery?: BlobDelivery;
}

/** `/v2/<name>/blobs/<digest>`: HEAD, GET (with Range) and DELETE (unlinks it from the repository). */
export function blobRoutes(deps: BlobRouteDeps): V2RouteFamily {
  const serve = async ({ req, res, target }: V2Exchange) => {
    const { digest } = requireBlobDigest(target.reference, 'blob digest');
    const layer = await deps.layers.requireBlob(target.name, deps.registryId, digest);
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
