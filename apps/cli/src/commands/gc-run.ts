import { Queue, QueueEvents } from 'bullmq';
import { WORKER_ALIVE_MS } from '@longshore/metadata';
import { createRedisConnection, MAINTENANCE_QUEUE } from '@longshore/queue';
import { CliError } from '../cli-error.js';
import type { Registry } from '../connect.js';
import type { Output } from '../output.js';

/** What one collection reports (the worker's GarbageCollectionReport). */
export interface GcReport {
  deleted: number;
  bytes: number;
  waiting: number;
}

/**
 * `longshore gc run`: one garbage collection now, run by a worker like the scheduled ones (the
 * maintenance queue runs one job at a time, so it never overlaps a scheduled collection), and
 * its report once it finished. Blobs unreferenced for less than GC_GRACE_SECONDS are only marked.
 */
export async function runGc(registry: Registry, out: Output): Promise<GcReport> {
  const { config, stores } = registry;
  if ((await stores.workers.countAlive(WORKER_ALIVE_MS)) === 0) {
    throw new CliError('no worker is running: garbage collection runs on the workers (start Longshore first)');
  }
  const eventsRedis = createRedisConnection(registry.redisUrl, { name: 'cli-events', blocking: true });
  const events = new QueueEvents(MAINTENANCE_QUEUE, { connection: eventsRedis, prefix: config.queuePrefix });
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: registry.redis, prefix: config.queuePrefix });
  try {
    await events.waitUntilReady();
    const job = await queue.add('collect-garbage', {}, { removeOnComplete: 10, removeOnFail: 10 });
    if (!out.json) process.stderr.write('collecting garbage…\n');
    const report = (await job.waitUntilFinished(events)) as GcReport;
    out.result(report, () => [
      `deleted ${report.deleted} unreferenced blobs (${report.bytes} bytes); ${report.waiting} more wait out GC_GRACE_SECONDS`,
    ]);
    return report;
  } finally {
    await queue.close();
    await events.close();
    await eventsRedis.quit().catch(() => eventsRedis.disconnect());
  }
}
