import type { Cluster, Redis } from 'ioredis';

/**
 * Every key matching `pattern`, in batches, without blocking Redis (SCAN); on a Redis Cluster,
 * on every master. A key written during the scan may or may not be seen.
 */
export async function* scanKeys(redis: Redis | Cluster, pattern: string): AsyncIterable<string[]> {
  const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}
