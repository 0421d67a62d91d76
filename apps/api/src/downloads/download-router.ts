import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import {
  DownloadSignatureInvalidError,
  DownloadUrlExpiredError,
  LayersNotFoundException,
  RangeNotSatisfiableError,
  storageLayout,
} from '@longshore/domain';
import type { StorageDriver } from '@longshore/storage';
import type { LayerService } from '../layers/layer-service.js';
import { sendV1Error } from '../v1/send-v1-error.js';
import type { DownloadUrlSigner } from './download-url-signer.js';

export interface DownloadDeps {
  signer: DownloadUrlSigner;
  layers: LayerService;
  storage: StorageDriver;
  registryId: string;
}

/**
 * Serves the URLs GetDownloadUrlForLayer hands out: the layer's bytes, whole or one HTTP Range.
 * (ECR only serves layers referenced by an image; Longshore has no image API yet, so any layer
 * completed into the repository is served.)
 */
export function createDownloadRouter(deps: DownloadDeps): Router {
  const router = Router();
  const serve = async (req: Request, res: Response) => {
    const layerDigest = String(req.params.digest);
    const verified = deps.signer.verify(layerDigest, req.query as Record<string, unknown>);
    if (!verified.ok) {
      sendV1Error(
        res,
        verified.reason === 'expired'
          ? new DownloadUrlExpiredError('The download URL has expired; ask for a new one')
          : new DownloadSignatureInvalidError('The download URL is not valid'),
      );
      return;
    }
    let layer: { size: number; hex: string };
    try {
      layer = await deps.layers.require(verified.target.repositoryName, deps.registryId, layerDigest);
    } catch (err) {
      if (!(err instanceof LayersNotFoundException)) throw err;
      sendV1Error(res, err);
      return;
    }
    res.set({
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': layerDigest,
      ETag: `"${layerDigest}"`,
      'Cache-Control': 'private, max-age=31536000, immutable',
    });
    const ranges = req.headers.range ? req.range(layer.size) : undefined;
    if (ranges === -1) {
      res.set('Content-Range', `bytes */${layer.size}`);
      sendV1Error(
        res,
        new RangeNotSatisfiableError('No byte of the layer is in the requested range', { size: layer.size }),
      );
      return;
    }
    const range = Array.isArray(ranges) && ranges.length === 1 ? ranges[0]! : undefined;
    if (range) {
      res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${layer.size}`);
    }
    const length = range ? range.end - range.start + 1 : layer.size;
    res.set('Content-Length', String(length));
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    const stream = await deps.storage.reader(storageLayout.blob(layer.hex), range);
    await pipeline(stream, res);
  };
  router.get('/downloads/:digest', (req, res, next) => serve(req, res).catch(next));
  router.head('/downloads/:digest', (req, res, next) => serve(req, res).catch(next));
  return router;
}
