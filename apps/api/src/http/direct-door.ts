import type { Express, Request, RequestHandler, Response } from 'express';

/**
 * A door that answers every request for its paths itself, whatever it is (the `/v2` door: its
 * dispatcher answers every `/v2` path, a path it does not serve with the door's own 404), and
 * the handlers that run before it. Its requests reach it without express's router: the app's
 * handlers before it that are not listed here pass such a request on untouched (the ECR router
 * acts on `/` only, the `/v1` router on `/v1…`), so running only these gives the same answer.
 */
export interface DirectDoor {
  /** Whether the raw request target (`req.url`) is one of the door's paths. */
  owns(url: string): boolean;
  /** What such a request meets after the request log, in the app's order, the door last. */
  handlers: RequestHandler[];
}

/** What the app does with an error a handler passed on or threw, and with a request none answered. */
export interface UnansweredRequest {
  failed(err: unknown, req: Request, res: Response): void;
  unrouted(req: Request, res: Response): void;
}

type Handle = (req: Request, res: Response, callback?: unknown) => void;

/**
 * Routes the requests `door` owns past express's router. The router walks every handler of the
 * app in turn for each request (a match, a params object, closures, a final handler, and a
 * `setImmediate` out of each nested Router), which was about a tenth of a small `/v2` push's
 * allocations in the API (issue 17, cpu26). A request the door owns is set up as express's
 * `app.handle` and the router set it up (the app's request and response prototypes, `locals`,
 * `baseUrl`, `originalUrl`, `params`, `next`), then runs `first` and the door's handlers in order; every
 * other request, and every call with a callback (an app mounted in another), goes to express as
 * before. An OPTIONS request always goes to express, whose router answers those on its own.
 */
export function routeDirect(
  app: Express,
  first: RequestHandler,
  door: DirectDoor,
  unanswered: UnansweredRequest,
): void {
  const handlers = [first, ...door.handlers];
  const poweredBy = app.enabled('x-powered-by');
  const target = app as unknown as { handle: Handle };
  const viaRouter = target.handle.bind(app);
  target.handle = (req, res, callback) => {
    if (callback !== undefined || req.method === 'OPTIONS' || !door.owns(req.url)) {
      viaRouter(req, res, callback);
      return;
    }
    if (poweredBy) res.setHeader('X-Powered-By', 'Express');
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    res.locals ??= Object.create(null) as Response['locals'];
    req.baseUrl = '';
    req.originalUrl ??= req.url;
    req.params = {};
    runFrom(0, handlers, req, res, unanswered);
  };
}

function runFrom(
  index: number,
  handlers: RequestHandler[],
  req: Request,
  res: Response,
  unanswered: UnansweredRequest,
) {
  const handler = handlers[index];
  if (handler === undefined) {
    unanswered.unrouted(req, res);
    return;
  }
  // As express's router: 'route' goes on to the next handler, 'router' leaves unanswered; `req.next`
  // is the handler's own `next` (express's `res.sendFile` and `res.render` call it).
  const next = (err?: unknown) => {
    if (!err || err === 'route') runFrom(index + 1, handlers, req, res, unanswered);
    else if (err === 'router') unanswered.unrouted(req, res);
    else unanswered.failed(err, req, res);
  };
  req.next = next;
  try {
    handler(req, res, next);
  } catch (err) {
    unanswered.failed(err, req, res);
  }
}
