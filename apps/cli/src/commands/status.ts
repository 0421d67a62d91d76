import { Queue } from 'bullmq';
import { readRedisRuntimeFile } from '@longshore/embedded-redis';
import { WORKER_ALIVE_MS } from '@longshore/metadata';
import { CALLBACK_QUEUE, FINALIZE_QUEUE, MAINTENANCE_QUEUE, VERIFY_QUEUE } from '@longshore/queue';
import type { Registry } from '../connect.js';
import type { Output } from '../output.js';

/** The queues the service runs (the worker's maintenance queue included). */
const QUEUES = [FINALIZE_QUEUE, VERIFY_QUEUE, CALLBACK_QUEUE, MAINTENANCE_QUEUE];
const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

export interface StatusReport {
  redis: { url: string; embeddedPid?: number };
  storage: string;
  repositories: number;
  queues: Record<string, Record<(typeof STATES)[number], number>>;
  workers: { id: string; lastHeartbeat: string; alive: boolean }[];
}

/** `longshore status`: queue depths, worker processes and where the registry keeps things. */
export async function runStatus(registry: Registry, out: Output): Promise<StatusReport> {
  const { config, redis, stores } = registry;
  const queues: StatusReport['queues'] = {};
  for (const name of QUEUES) {
    const queue = new Queue(name, { connection: redis, prefix: config.queuePrefix, skipMetasUpdate: true });
    try {
      queues[name] = (await queue.getJobCounts(...STATES)) as StatusReport['queues'][string];
    } finally {
      await queue.close();
    }
  }
  const now = Date.now();
  const beats = await redis.zrange(stores.keys.workers, 0, -1, 'WITHSCORES');
  const workers: StatusReport['workers'] = [];
  for (let i = 0; i < beats.length; i += 2) {
    const at = Number(beats[i + 1]);
    workers.push({ id: beats[i]!, lastHeartbeat: new Date(at).toISOString(), alive: now - at < WORKER_ALIVE_MS });
  }
  const embedded = config.redisUrl ? undefined : await readRedisRuntimeFile(config.redisDir);
  const report: StatusReport = {
    redis: { url: registry.redisUrl, ...(embedded ? { embeddedPid: embedded.pid } : {}) },
    storage: registry.storage.name,
    repositories: await redis.hlen(stores.keys.repositories),
    queues,
    workers,
  };
  out.result(report, () => [
    `redis: ${report.redis.url}${embedded ? ` (embedded, pid ${embedded.pid})` : ''}`,
    `storage: ${report.storage}`,
    `repositories: ${report.repositories}`,
    'queues:',
    ...Object.entries(queues).map(
      ([name, counts]) => `  ${name.padEnd(12)} ${STATES.map((s) => `${s} ${counts[s] ?? 0}`).join(', ')}`,
    ),
    `workers: ${workers.filter((w) => w.alive).length} alive`,
    ...workers.map((w) => `  ${w.id} ${w.alive ? 'alive' : 'gone'}, last heartbeat ${w.lastHeartbeat}`),
  ]);
  return report;
}
