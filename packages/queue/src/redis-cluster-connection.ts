import { parseRedisClusterUrl } from '@longshore/config';
import { Cluster } from 'ioredis';
import type { RedisConnectionOptions } from './redis-connection.js';

/**
 * An ioredis Cluster for a `redis+cluster://` URL, with the options createRedisConnection gives a
 * single connection. It discovers every node from the listed ones, sends each command to the
 * master of its key's slot, follows MOVED/ASK redirections, and re-queues commands while a
 * failover is under way, so a lost node means retries, not errors.
 */
export function createRedisClusterConnection(url: string, options: RedisConnectionOptions): Cluster {
  const { nodes, username, password, tls } = parseRedisClusterUrl(url);
  return new Cluster(nodes, {
    redisOptions: {
      connectionName: `longshore-${options.name}`,
      maxRetriesPerRequest: options.blocking ? null : 3,
      enableReadyCheck: true,
      username,
      password,
      ...(tls ? { tls: {} } : {}),
    },
    // No auto-pipelining here: ioredis retries a cluster pipeline whose node closed only when
    // every command in it failed alike, so a failover could fail commands a pipeline carried.
    // Each command on its own is retried (retryDelayOnFailover) until the replica takes over.
    enableAutoPipelining: false,
    // Room for a failover of several seconds: up to 60 retries, 200 ms apart.
    maxRedirections: 60,
    enableReadyCheck: true,
    scaleReads: 'master',
    // While a failover is under way the cluster answers CLUSTERDOWN or TRYAGAIN, or a node does
    // not answer at all: ioredis re-queues the command and retries after these delays.
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 200,
  });
}
