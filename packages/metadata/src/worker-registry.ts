import type { Cluster, Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** How often a worker (or API) process records its heartbeat. */
export const HEARTBEAT_MS = 5_000;
/** A process whose last heartbeat is older than this (three missed beats) counts as gone. */
export const WORKER_ALIVE_MS = 15_000;

/**
 * Worker processes announce themselves, so /readyz can tell whether anyone consumes the queue.
 * API processes announce themselves the same way in a registry of their own (`apiProcesses`),
 * which the console's Operations page lists.
 */
export class WorkerRegistry {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
    private readonly which: 'workers' | 'apiProcesses' = 'workers',
  ) {}

  async heartbeat(workerId: string, now = Date.now()): Promise<void> {
    await this.redis.zadd(this.keys[this.which], now, workerId);
  }

  async remove(workerId: string): Promise<void> {
    await this.redis.zrem(this.keys[this.which], workerId);
  }

  /** Workers seen within the last `withinMs`; older entries are pruned on the way. */
  async countAlive(withinMs: number, now = Date.now()): Promise<number> {
    const [, count] = (await this.redis
      .multi()
      .zremrangebyscore(this.keys[this.which], '-inf', now - 10 * withinMs)
      .zcount(this.keys[this.which], now - withinMs, '+inf')
      .exec())!;
    return Number(count![1]);
  }

  /** Every worker that sent a heartbeat recently (pruned like `countAlive`), with when it last did (epoch ms). */
  async seen(): Promise<{ workerId: string; lastHeartbeat: number }[]> {
    const flat = await this.redis.zrange(this.keys[this.which], 0, -1, 'WITHSCORES');
    const seen: { workerId: string; lastHeartbeat: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) seen.push({ workerId: flat[i]!, lastHeartbeat: Number(flat[i + 1]) });
    return seen;
  }
}
