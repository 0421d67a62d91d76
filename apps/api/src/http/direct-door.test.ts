import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { routeDirect } from './direct-door.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(app: Express): Promise<string> {
  const server = createServer(app);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An app as createApp builds it: a first handler, routers that pass `/d` paths on, the door, a 404 and an error handler. */
function appWith(door: RequestHandler, seen: string[]) {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const first: RequestHandler = (req, res, next) => {
    seen.push(`first ${req.path}`);
    res.setHeader('x-first', '1');
    next();
  };
  const other: RequestHandler = (req, _res, next) => {
    seen.push(`other ${req.path}`);
    next();
  };
  const unrouted = (req: Request, res: Response) => res.status(404).send(`unrouted ${req.path}`);
  const failed = (err: unknown, _req: Request, res: Response) => res.status(500).send(`failed ${String(err)}`);
  app.use(first, other, door, unrouted);
  app.use((err: Error, req: Request, res: Response, _next: unknown) => failed(err, req, res));
  routeDirect(app, first, { owns: (url) => url.startsWith('/d/'), handlers: [door] }, { failed, unrouted });
  return app;
}

describe('routeDirect', () => {
  it("answers the door's paths with the first handler and the door only, as express's app sets a request up", async () => {
    const seen: string[] = [];
    const door: RequestHandler = (req, res, next) => {
      if (!req.path.startsWith('/d/')) return next();
      seen.push(
        `door ${req.path} ${String(req.query.x)} ${req.originalUrl} ${req.baseUrl === ''} ${req.next === next}`,
      );
      res
        .status(201)
        .set({ 'x-door': 'yes' })
        .json({ path: req.path, locals: typeof res.locals });
    };
    const base = await listen(appWith(door, seen));
    const answer = await fetch(`${base}/d/a/b?x=1`, { method: 'PUT', body: 'x' });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('x-first')).toBe('1');
    expect(answer.headers.get('x-door')).toBe('yes');
    expect(await answer.json()).toEqual({ path: '/d/a/b', locals: 'object' });
    expect(seen).toEqual(['first /d/a/b', 'door /d/a/b 1 /d/a/b?x=1 true true']);
  });

  it("leaves every other request, and OPTIONS, to express's router", async () => {
    const seen: string[] = [];
    const door: RequestHandler = (req, res, next) => (req.path.startsWith('/d/') ? res.status(204).end() : next());
    const base = await listen(appWith(door, seen));
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${base}/d/a`, { method: 'OPTIONS' })).status).toBe(204);
    expect(seen).toEqual(['first /elsewhere', 'other /elsewhere', 'first /d/a', 'other /d/a']);
  });

  it("answers an error a handler passed on or threw as the app's error handler does, and a request nobody answered as unrouted", async () => {
    const seen: string[] = [];
    const door: RequestHandler = (req, _res, next) => {
      if (req.path === '/d/passes') return next(new Error('passed on'));
      if (req.path === '/d/throws') throw new Error('thrown');
      next();
    };
    const base = await listen(appWith(door, seen));
    const passed = await fetch(`${base}/d/passes`);
    expect([passed.status, await passed.text()]).toEqual([500, 'failed Error: passed on']);
    const thrown = await fetch(`${base}/d/throws`);
    expect([thrown.status, await thrown.text()]).toEqual([500, 'failed Error: thrown']);
    const none = await fetch(`${base}/d/none`);
    expect([none.status, await none.text()]).toEqual([404, 'unrouted /d/none']);
  });
});
