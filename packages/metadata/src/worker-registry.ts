import type { Cluster, Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Worker processes announce themselves, so /readyz can tell whether anyone consumes the queue. */
export class WorkerRegistry {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  async heartbeat(workerId: string, now = Date.now()): Promise<void> {
    await this.redis.zadd(this.keys.workers, now, workerId);
  }

  async remove(workerId: string): Promise<void> {
    await this.redis.zrem(this.keys.workers, workerId);
  }

  /** Workers seen within the last `withinMs`; older entries are pruned on the way. */
  async countAlive(withinMs: number, now = Date.now()): Promise<number> {
    const [, count] = (await this.redis
      .multi()
      .zremrangebyscore(this.keys.workers, '-inf', now - 10 * withinMs)
      .zcount(this.keys.workers, now - withinMs, '+inf')
      .exec())!;
    return Number(count![1]);
  }
}
