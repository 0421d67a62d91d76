import type { RepositoryFilter } from '../auth/registry-basic-auth.js';
import type { ImageService } from '../images/image-service.js';
import { pageOf, setNextLink } from './pagination.js';
import type { V2RouteFamily } from './v2-route.js';

/**
 * `GET /v2/_catalog`: the names of the repositories the caller may pull from, in lexical order,
 * paginated with `n`, `last` and `Link`.
 */
export function catalogRoutes(deps: { images: Pick<ImageService, 'catalog'> }): V2RouteFamily {
  return {
    GET: {
      operation: 'v2.Catalog',
      async handle({ req, res }) {
        const { n, last } = pageOf(req);
        // Only what the caller may pull, filtered before paging (set by the door's authorizer).
        const listed = res.locals.listed as RepositoryFilter | undefined;
        const page = await deps.images.catalog(n, last, listed);
        setNextLink(res, '/v2/_catalog', n, page.next);
        res.status(200).json({ repositories: page.repositories });
      },
    },
  };
}
