import { once } from 'node:events';
import { runService } from '@longshore/telemetry';
import { buildApi } from './build-api.js';

/** The API process: build, listen, and on a signal finish active requests before closing. */
runService('longshore-api', async (config, log) => {
  const api = await buildApi(config, log);
  const server = api.app.listen(config.port, config.host);
  // Longer than common load balancers' idle timeouts, so they close idle connections first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Long polls and large part uploads legitimately take long; COMPLETE_WAIT_MS and
  // MAX_LONG_POLL_SECONDS bound the waits instead.
  server.requestTimeout = 0;
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ host: config.host, port }, 'API listening');
  return {
    readyMessage: { type: 'listening', port },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await api.endWaits();
      await closed;
      await api.close();
    },
  };
});
