import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { storageLayout } from '@longshore/domain';
import type { StorageDriver } from '@longshore/storage';
import type { LayerService } from '../layers/layer-service.js';
import { sendEnvelopeError } from '../http/envelope.js';
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
      sendEnvelopeError(
        res,
        403,
        verified.reason === 'expired' ? 'URL_EXPIRED' : 'SIGNATURE_INVALID',
        verified.reason === 'expired'
          ? 'The download URL has expired; ask for a new one'
          : 'The download URL is not valid',
      );
      return;
    }
    let layer: { size: number; hex: string };
    try {
      layer = await deps.layers.require(verified.target.repositoryName, deps.registryId, layerDigest);
    } catch {
      sendEnvelopeError(res, 404, 'LAYER_NOT_FOUND', `The layer '${layerDigest}' is not in that repository`);
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
      res.status(416).set('Content-Range', `bytes */${layer.size}`).end();
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
    try {
      await pipeline(stream, res);
    } catch (err) {
      // A client that hangs up mid-download is not a server fault: nothing to answer, nothing to alarm.
      if (!clientHungUp(req, res)) throw err;
      req.log.debug({ layerDigest }, 'client closed the download before it ended');
    }
  };
  router.get('/downloads/:digest', (req, res, next) => serve(req, res).catch(next));
  router.head('/downloads/:digest', (req, res, next) => serve(req, res).catch(next));
  return router;
}

function clientHungUp(req: Request, res: Response): boolean {
  return !res.writableFinished && (req.socket.destroyed || res.destroyed);
}
