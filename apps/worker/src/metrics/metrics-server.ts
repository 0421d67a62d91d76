import http from 'node:http';
import { once } from 'node:events';
import type { Registry } from 'prom-client';

/** The worker's own small HTTP server: /metrics for Prometheus, /healthz for orchestrators. */
export async function startMetricsServer(registry: Registry, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}
