import v8 from 'node:v8';
import { v8HeapFlags } from '@longshore/config';
import { runService } from '@longshore/telemetry';
import { buildWorker } from './build-worker.js';

/** A worker process: consume jobs until a signal, then let active jobs finish. */
runService('longshore-worker', async (config, log) => {
  // V8's heap growth (V8_HEAP_GROWING_PERCENT), which NODE_OPTIONS cannot carry.
  for (const flag of v8HeapFlags(config)) v8.setFlagsFromString(flag);
  const worker = await buildWorker(config, log);
  return {
    readyMessage: { type: 'ready', metricsPort: worker.metricsPort },
    metrics: worker.metricsRegistry,
    stop: () => worker.close(),
  };
});
