import { mediaTypes } from '@longshore/domain';
import type { ImageService } from '../images/image-service.js';
import type { V2RouteFamily } from './v2-route.js';

/**
 * `GET /v2/<name>/referrers/<digest>`: an OCI image index of the manifests whose `subject` is
 * the digest (which need not exist), filtered by `?artifactType=` with `OCI-Filters-Applied`.
 */
export function referrerRoutes(deps: { images: Pick<ImageService, 'referrers'> }): V2RouteFamily {
  return {
    GET: {
      operation: 'v2.ListReferrers',
      async handle({ req, res, target }) {
        const { artifactType } = req.query;
        const filter = typeof artifactType === 'string' && artifactType !== '' ? artifactType : undefined;
        const list = await deps.images.referrers(target.name, target.reference, filter);
        if (list.filtersApplied.length > 0) res.setHeader('OCI-Filters-Applied', list.filtersApplied.join(','));
        // setHeader, not res.type: the spec wants the media type exactly, without a charset.
        res.setHeader('Content-Type', mediaTypes.ociIndex);
        res
          .status(200)
          .end(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: list.manifests }));
      },
    },
  };
}
