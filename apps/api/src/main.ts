import http from 'node:http';
import https from 'node:https';
import v8 from 'node:v8';
import { v8HeapFlags } from '@longshore/config';
import {
  listenOn,
  runService,
  serveHandedConnections,
  startOpsServer,
  takesConnectionsFromLauncher,
} from '@longshore/telemetry';
import { buildApi } from './build-api.js';
import { readTlsFiles, reloadTlsOnChange } from './http/reloading-tls.js';

/**
 * The API process: build, listen (HTTPS when TLS_CERT_FILE is set), serve its metrics on
 * METRICS_PORT, and on a signal finish active requests before closing. Under the launcher
 * (`npm start`) it listens on nothing: the launcher holds the port and hands it connections
 * (packages/telemetry connection-balancer.ts); run on its own, it listens on HOST:PORT.
 */
runService('longshore-api', async (config, log) => {
  // V8's heap growth (V8_HEAP_GROWING_PERCENT), which NODE_OPTIONS cannot carry.
  for (const flag of v8HeapFlags(config)) v8.setFlagsFromString(flag);
  const api = await buildApi(config, log);
  const tls =
    config.tlsCertFile && config.tlsKeyFile ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } : undefined;
  // HTTP/1.1 over TLS: the registry clients (docker, podman, skopeo, the AWS SDKs) all speak it.
  const server = tls
    ? https.createServer({ ...readTlsFiles(tls), ALPNProtocols: ['http/1.1'] }, api.app)
    : http.createServer(api.app);
  const stopWatchingTls = tls ? reloadTlsOnChange(server as https.Server, tls, log) : () => undefined;
  // Longer than common load balancers' idle timeouts, so they close idle connections first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Long polls and large part uploads legitimately take long; COMPLETE_WAIT_MS and
  // MAX_LONG_POLL_SECONDS bound the waits instead.
  server.requestTimeout = 0;
  const handed = takesConnectionsFromLauncher() ? serveHandedConnections(server) : undefined;
  const port = handed ? undefined : await listenOn(server, config.port, config.host, 'PORT (and HOST)');
  const ops = await startOpsServer({
    port: config.metricsPort,
    host: config.metricsHost,
    settings: 'METRICS_PORT (and METRICS_HOST)',
    metrics: async () => ({ contentType: api.metricsRegistry.contentType, body: await api.metricsRegistry.metrics() }),
    readiness: api.readiness,
  });
  log.info(
    { host: config.host, port, fromLauncher: Boolean(handed), tls: Boolean(tls), metricsPort: ops.port },
    'API listening',
  );
  return {
    readyMessage: { type: 'listening', port, metricsPort: ops.port },
    metrics: api.metricsRegistry,
    async stop() {
      stopWatchingTls();
      // Until every connection is closed: the idle ones now, the others once their requests end.
      const closed = handed ? handed.drain() : new Promise<void>((resolve) => server.close(() => resolve()));
      if (handed) server.close();
      server.closeIdleConnections();
      await api.endWaits();
      await closed;
      ops.server.close();
      await api.close();
    },
  };
});
