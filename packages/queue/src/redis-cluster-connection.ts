import { parseRedisClusterUrl } from '@longshore/config';
import { Cluster, type RedisOptions } from 'ioredis';

/**
 * An ioredis Cluster for a `redis+cluster://` URL: it discovers every node from the listed ones,
 * sends each command to the master of its key's slot, follows MOVED/ASK redirections, and
 * re-queues commands while a failover is under way, so a lost node means retries, not errors.
 */
export function createRedisClusterConnection(
  url: string,
  redisOptions: RedisOptions,
  enableAutoPipelining: boolean,
): Cluster {
  const { nodes, username, password, tls } = parseRedisClusterUrl(url);
  return new Cluster(nodes, {
    redisOptions: { ...redisOptions, username, password, ...(tls ? { tls: {} } : {}) },
    enableAutoPipelining,
    enableReadyCheck: true,
    scaleReads: 'master',
    // While a failover is under way the cluster answers CLUSTERDOWN or TRYAGAIN, or a node does
    // not answer at all: ioredis re-queues the command and retries after these delays.
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 200,
  });
}
