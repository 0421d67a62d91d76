import { Cluster, type Redis } from 'ioredis';

export interface ReplicaWaitOptions {
  /** REDIS_WAIT_REPLICAS: replicas each master with replicas must have acknowledged; 0: never wait. */
  replicas: number;
  /** REDIS_WAIT_TIMEOUT_MS. */
  timeoutMs: number;
}

/**
 * The writes this connection sent did not reach enough replicas in time. Transient: the work
 * is retried (a finalization re-runs to the same result), and nothing is acknowledged meanwhile.
 */
export class ReplicasBehindError extends Error {
  override readonly name = 'ReplicasBehindError';
}

/** Waits until every write sent so far on a connection is held by replicas (`WAIT`). */
export type ReplicaWait = () => Promise<void>;

/**
 * A Redis master acknowledges a write before its replicas have it, so a write acknowledged by a
 * master that dies at once can be missing on the replica promoted in its place. Before Longshore
 * acknowledges something (a layer completion), this waits until the writes the connection sent
 * are on `replicas` replicas of each master (each node of a cluster: `WAIT` only counts the
 * writes of its own connection, so it goes to every master; one this connection never wrote to
 * answers at once). A master with no connected replicas (a single embedded Redis) is not waited
 * on; one with fewer than `replicas` is waited on for those it has.
 */
export function createReplicaWait(redis: Redis | Cluster, options: ReplicaWaitOptions): ReplicaWait {
  if (options.replicas === 0) return async () => undefined;
  return async () => {
    const masters = redis instanceof Cluster ? redis.nodes('master') : [redis];
    await Promise.all(masters.map((node) => waitOnMaster(node, options)));
  };
}

async function waitOnMaster(node: Redis, options: ReplicaWaitOptions): Promise<void> {
  const role = (await node.call('ROLE')) as [string, unknown, unknown];
  const connected = role[0] === 'master' && Array.isArray(role[2]) ? role[2].length : 0;
  if (connected === 0) return;
  const wanted = Math.min(options.replicas, connected);
  const acknowledged = await node.wait(wanted, options.timeoutMs);
  if (acknowledged < wanted) {
    throw new ReplicasBehindError(
      `Redis ${node.options.host}:${node.options.port}: ${acknowledged} of ${wanted} replicas acknowledged the writes within ${options.timeoutMs} ms (REDIS_WAIT_TIMEOUT_MS)`,
    );
  }
}
