import { ConfigError, loadConfig } from '@longshore/config';
import { createLogger } from '@longshore/telemetry';
import { buildWorker } from './build-worker.js';

/** A worker process: consume finalize jobs until a signal, then let active jobs finish. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger({ name: 'longshore-worker', level: config.logLevel, format: config.logFormat });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection: exiting so the supervisor restarts a clean process');
    process.exit(1);
  });
  const worker = await buildWorker(config, log);
  const address = worker.metricsServer.address();
  process.send?.({ type: 'ready', metricsPort: typeof address === 'object' && address ? address.port : undefined });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: letting active jobs finish');
    const deadline = setTimeout(() => {
      log.warn('active jobs did not finish in time; they will be retried by another worker');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    await worker.close();
    clearTimeout(deadline);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error('longshore-worker failed to start:', err);
  process.exit(1);
});
