import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import type { BlobIndex } from '@longshore/metadata';
import type { StorageDriver } from '@longshore/storage';
import type { LayerService } from '../layers/layer-service.js';
import { sendEnvelopeError } from '../http/envelope.js';
import type { DownloadUrlSigner } from './download-url-signer.js';

export interface DownloadDeps {
  signer: DownloadUrlSigner;
  layers: LayerService;
  storage: StorageDriver;
  blobs: Pick<BlobIndex, 'locate'>;
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
    const found = await findLayer(deps, verified.target.repositoryName, layerDigest);
    if (!found) {
      sendEnvelopeError(res, 404, 'LAYER_NOT_FOUND', `The layer '${layerDigest}' is not in that repository`);
      return;
    }
    const { layer, location } = found;
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
    const stream = await deps.storage.blobReader(location, range);
    await pipeline(stream, res);
  };
  router.get('/downloads/:digest', (req, res, next) => serve(req, res).catch(next));
  router.head('/downloads/:digest', (req, res, next) => serve(req, res).catch(next));
  return router;
}

/** The layer's size and where its blob is stored, or undefined when the repository lacks it. */
async function findLayer(
  deps: DownloadDeps,
  repositoryName: string,
  layerDigest: string,
): Promise<{ layer: { size: number }; location: string } | undefined> {
  try {
    const layer = await deps.layers.require(repositoryName, deps.registryId, layerDigest);
    const location = await deps.blobs.locate(layerDigest);
    return location ? { layer, location } : undefined;
  } catch {
    return undefined;
  }
}
