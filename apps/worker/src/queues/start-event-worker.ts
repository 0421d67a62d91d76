import { EVENT_QUEUE, eventBackoffMs, type EventJobData, PromptWorker } from '@longshore/queue';
import { deliverEvent } from '../events/deliver-event.js';
import type { WorkerContext } from '../worker-context.js';
import type { RunningWorker } from './running-worker.js';

/** Delivers the events queue: many receivers at once (EVENTS_CONCURRENCY), each retried on its own. */
export function startEventWorker(context: WorkerContext): RunningWorker {
  const { config, log, metrics } = context;
  const deps = {
    secret: config.eventsWebhookSecret,
    retryMs: config.eventsRetryHours * 3_600_000,
    timeoutMs: config.callbackTimeoutMs,
    now: Date.now,
  };
  const worker = new PromptWorker<EventJobData>(EVENT_QUEUE, (job) => deliverEvent(job.data, job.timestamp, deps), {
    connection: context.redis,
    prefix: config.queuePrefix,
    concurrency: config.eventsConcurrency,
    settings: { backoffStrategy: (attemptsMade: number) => eventBackoffMs(attemptsMade, config.eventsRetryBaseMs) },
  });
  worker.on('completed', () => metrics.eventsDelivered.inc());
  worker.on('failed', (job, err) => {
    metrics.eventAttemptsFailed.inc();
    log.warn(
      { eventId: job?.data.eventId, url: job?.data.url, attempt: job?.attemptsMade, reason: err.message },
      'event delivery failed',
    );
  });
  worker.on('error', (err) => context.onWorkerError(err, 'event worker error'));
  return { close: () => worker.close() };
}
