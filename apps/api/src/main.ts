import { once } from 'node:events';
import { ConfigError, loadConfig } from '@longshore/config';
import { createLogger } from '@longshore/telemetry';
import { buildApi } from './build-api.js';

/** The API process: read the configuration once, build, listen, and stop cleanly on a signal. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger({ name: 'longshore-api', level: config.logLevel, format: config.logFormat });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection: exiting so the supervisor restarts a clean process');
    process.exit(1);
  });
  const api = await buildApi(config, log);
  const server = api.app.listen(config.port, config.host);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ host: config.host, port }, 'API listening');
  process.send?.({ type: 'listening', port });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing active requests');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
    await closed;
    clearTimeout(deadline);
    await api.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error('longshore-api failed to start:', err);
  process.exit(1);
});
