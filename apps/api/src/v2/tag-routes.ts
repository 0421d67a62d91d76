import type { ImageService } from '../images/image-service.js';
import { pageOf, setNextLink } from './pagination.js';
import type { V2RouteFamily } from './v2-route.js';

/** `GET /v2/<name>/tags/list`: the repository's tags in lexical order, paginated with `n`, `last` and `Link`. */
export function tagRoutes(deps: { images: Pick<ImageService, 'listTags'> }): V2RouteFamily {
  return {
    GET: {
      operation: 'v2.ListTags',
      async handle({ req, res, target }) {
        const { n, last } = pageOf(req);
        const page = await deps.images.listTags(target.name, n, last);
        setNextLink(res, `/v2/${target.name}/tags/list`, n, page.next);
        res.status(200).json({ name: page.name, tags: page.tags });
      },
    },
  };
}
