import type { V2RouteFamily } from './v2-route.js';

/** `GET /v2/`: the API version check every client starts with. */
export function baseRoutes(): V2RouteFamily {
  return {
    GET: {
      operation: 'v2.Base',
      async handle({ res }) {
        res.status(200).type('application/json').send('{}');
      },
    },
  };
}
