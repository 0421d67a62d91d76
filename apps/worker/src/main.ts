import { runService } from '@longshore/telemetry';
import { buildWorker } from './build-worker.js';

/** A worker process: consume jobs until a signal, then let active jobs finish. */
runService('longshore-worker', async (config, log) => {
  const worker = await buildWorker(config, log);
  return {
    readyMessage: { type: 'ready', metricsPort: worker.metricsPort },
    metrics: worker.metricsRegistry,
    stop: () => worker.close(),
  };
});
