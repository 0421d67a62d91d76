import type { Cluster, Redis } from 'ioredis';
import type { ConnectionLog } from './redis-connection.js';

/**
 * Warns when Redis would forget acknowledged completions on power loss: Longshore acknowledges a
 * layer once its record is written to Redis, so that write must be on disk first. That takes
 * `appendonly yes` with `appendfsync always` (the embedded Redis's default, REDIS_APPENDFSYNC).
 * An operator's own Redis (REDIS_URL) must be configured so; managed services that hide CONFIG
 * are reported as unchecked. Never throws.
 */
export async function checkRedisDurability(redis: Redis | Cluster, log: ConnectionLog): Promise<void> {
  let appendonly: string | undefined;
  let appendfsync: string | undefined;
  try {
    appendonly = configValue(await redis.config('GET', 'appendonly'));
    appendfsync = configValue(await redis.config('GET', 'appendfsync'));
  } catch (err) {
    log.info(
      { err },
      'could not read the Redis durability settings (CONFIG GET); make sure Redis runs with appendonly yes and appendfsync always',
    );
    return;
  }
  if (appendonly !== 'yes' || appendfsync !== 'always') {
    log.warn(
      { appendonly, appendfsync },
      'Redis may lose acknowledged uploads on power loss: configure appendonly yes and appendfsync always (or accept the risk)',
    );
  }
}

function configValue(reply: unknown): string | undefined {
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
}
