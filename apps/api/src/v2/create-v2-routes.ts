import type { OciRouteFamily } from '@longshore/domain';
import type { ImageService } from '../images/image-service.js';
import { baseRoutes } from './base-routes.js';
import { blobRoutes, type BlobRouteDeps } from './blob-routes.js';
import { catalogRoutes } from './catalog-routes.js';
import { manifestRoutes, type ManifestRouteDeps } from './manifest-routes.js';
import { referrerRoutes } from './referrer-routes.js';
import { tagRoutes } from './tag-routes.js';
import { uploadRoutes, type UploadRouteDeps } from './upload-routes.js';
import type { V2RouteFamily } from './v2-route.js';

export type V2RoutesDeps = BlobRouteDeps &
  UploadRouteDeps & { images: ManifestRouteDeps['images'] & Pick<ImageService, 'listTags' | 'referrers' | 'catalog'> };

/** Every /v2 route family, each in its own file, as the dispatcher serves them. */
export function createV2Routes(deps: V2RoutesDeps): Record<OciRouteFamily, V2RouteFamily> {
  return {
    base: baseRoutes(),
    blob: blobRoutes(deps),
    upload: uploadRoutes(deps),
    manifest: manifestRoutes(deps),
    tags: tagRoutes(deps),
    referrers: referrerRoutes(deps),
    catalog: catalogRoutes(deps),
  };
}
