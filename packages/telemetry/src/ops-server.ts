import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface OpsServerOptions {
  port: number;
  host: string;
  /** The Prometheus text of `/metrics`, and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** What `/readyz` checks; `/healthz` only says the process answers. */
  readiness: ReadinessCheck[];
  /** The settings that chose the address, named when it cannot be bound (`METRICS_PORT`). */
  settings: string;
}

/** A listener that could not be bound, naming the setting that chose its address. */
export class ListenError extends Error {
  constructor(settings: string, address: string, cause: NodeJS.ErrnoException) {
    const why =
      cause.code === 'EADDRINUSE'
        ? 'is already in use (another Longshore or another program listens there)'
        : `cannot be bound (${cause.code ?? cause.message})`;
    super(`${address} ${why}: choose another with ${settings}`, { cause });
    this.name = 'ListenError';
  }
}

/**
 * Resolves with the port once `server` listens, or rejects with a ListenError naming `settings`.
 * `exclusive`: in a cluster worker, a listener of its own instead of the primary's shared one.
 */
export async function listenOn(
  server: net.Server,
  port: number,
  host: string,
  settings: string,
  exclusive = false,
): Promise<number> {
  server.listen({ port, host, exclusive });
  try {
    await once(server, 'listening');
  } catch (err) {
    throw new ListenError(settings, `${host.includes(':') ? `[${host}]` : host}:${port}`, err as NodeJS.ErrnoException);
  }
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/** Runs the readiness checks: every one answers, or the reasons why not. */
export async function checkReadiness(checks: ReadinessCheck[]) {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await check();
        return { name, ok: true };
      } catch (err) {
        return { name, ok: false, error: (err as Error).message };
      }
    }),
  );
  const ready = results.every((r) => r.ok);
  return { ready, body: { status: ready ? 'ready' : 'not ready', checks: results } };
}

/**
 * The operations listener of a process (METRICS_HOST:METRICS_PORT, loopback by default, as
 * distribution serves its debug listener): `/metrics` for Prometheus, `/healthz` and `/readyz`
 * for orchestrators. Never on the public API port.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      options.metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      void checkReadiness(options.readiness).then(({ ready, body }) =>
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  // Exclusive: each API process of `npm start` (cluster workers) has its own, not a shared one.
  const port = await listenOn(server, options.port, options.host, options.settings, true);
  return { server, port };
}
