import { runService } from '@longshore/telemetry';
import { buildWorker } from './build-worker.js';

/** A worker process: consume jobs until a signal, then let active jobs finish. */
runService('longshore-worker', async (config, log) => {
  const worker = await buildWorker(config, log);
  const address = worker.metricsServer.address();
  return {
    readyMessage: { type: 'ready', metricsPort: typeof address === 'object' && address ? address.port : undefined },
    stop: () => worker.close(),
  };
});
