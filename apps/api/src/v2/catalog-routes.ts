import type { ImageService } from '../images/image-service.js';
import { pageOf, setNextLink } from './pagination.js';
import type { V2RouteFamily } from './v2-route.js';

/** `GET /v2/_catalog`: repository names in lexical order, paginated with `n`, `last` and `Link`. */
export function catalogRoutes(deps: { images: Pick<ImageService, 'catalog'> }): V2RouteFamily {
  return {
    GET: {
      operation: 'v2.Catalog',
      async handle({ req, res }) {
        const { n, last } = pageOf(req);
        const page = await deps.images.catalog(n, last);
        setNextLink(res, '/v2/_catalog', n, page.next);
        res.status(200).json({ repositories: page.repositories });
      },
    },
  };
}
