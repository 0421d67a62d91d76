import { Router, type Request, type Response } from 'express';
import { DownloadSignatureInvalidError, DownloadUrlExpiredError } from '@longshore/domain';
import type { StorageDriver } from '@longshore/storage';
import { handleRequest } from '../errors/handle-request.js';
import { sendBlob, type BlobDelivery } from '../http/send-blob.js';
import type { LayerService } from '../layers/layer-service.js';
import type { DownloadUrlSigner } from './download-url-signer.js';

export interface DownloadDeps {
  signer: DownloadUrlSigner;
  layers: LayerService;
  storage: StorageDriver;
  registryId: string;
  /** Downloads redirect to the object store (S3_REDIRECT_DOWNLOADS) or stream through. */
  delivery?: BlobDelivery;
}

/**
 * Serves the URLs GetDownloadUrlForLayer hands out: the layer's bytes, whole or one HTTP Range,
 * or a redirect to the object store. Errors answer in the /v1 envelope (errors/handle-request.ts).
 */
export function createDownloadRouter(deps: DownloadDeps): Router {
  const router = Router();
  const serve = async (req: Request, res: Response) => {
    const layerDigest = String(req.params.digest);
    const verified = deps.signer.verify(layerDigest, req.query as Record<string, unknown>);
    if (!verified.ok) {
      throw verified.reason === 'expired'
        ? new DownloadUrlExpiredError('The download URL has expired; ask for a new one')
        : new DownloadSignatureInvalidError('The download URL is not valid');
    }
    const layer = await deps.layers.requireBlob(verified.target.repositoryName, deps.registryId, layerDigest);
    await sendBlob(req, res, deps.storage, { digest: layerDigest, ...layer }, deps.delivery);
  };
  const handle = (req: Request, res: Response) =>
    handleRequest(req, res, { wire: 'v1', operation: 'download' }, () => serve(req, res));
  router.get('/downloads/:digest', handle);
  router.head('/downloads/:digest', handle);
  return router;
}
