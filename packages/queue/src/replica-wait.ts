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

/**
 * Waits until every write sent so far on a connection is held by replicas (`WAIT`). `needed`
 * says whether it waits on anything: false when no master has a replica (a single embedded
 * Redis), so a caller may acknowledge in the same step as its last write.
 */
export type ReplicaWait = (() => Promise<void>) & { needed: Promise<boolean> };

/**
 * Reads which masters have replicas (`ROLE`, sent at once, so it shares the round trip of
 * whatever is sent alongside; or a read at most `ROLE_TTL_MS` old) and answers the wait on those.
 * A replica that connects after the read is not waited on, as if it had connected just after the
 * `WAIT`.
 */
export type ReplicaWaitStart = () => ReplicaWait;

/**
 * A Redis master acknowledges a write before its replicas have it, so a write acknowledged by a
 * master that dies at once can be missing on the replica promoted in its place. Before Longshore
 * acknowledges something (a layer completion), this waits until the writes the connection sent
 * are on `replicas` replicas of each master (each node of a cluster: `WAIT` only counts the
 * writes of its own connection, so it goes to every master; one this connection never wrote to
 * answers at once). A master with no connected replicas (a single embedded Redis) is not waited
 * on; one with fewer than `replicas` is waited on for those it has.
 */
export function createReplicaWait(
  redis: Redis | Cluster,
  options: ReplicaWaitOptions,
  now: () => number = Date.now,
): ReplicaWaitStart {
  if (options.replicas === 0) return () => Object.assign(async () => undefined, { needed: Promise.resolve(false) });
  const roles = new WeakMap<Redis, { connected: Promise<number>; readAt: number }>();
  // One ROLE per master every ROLE_TTL_MS at most, not one per finalization: a failover or a
  // replica joining is seen within that time. A read that failed, or whose wait fell short
  // (a replica gone), is read again by the next wait.
  const connectedOf = (node: Redis): Promise<number> => {
    const cached = roles.get(node);
    if (cached && now() - cached.readAt < ROLE_TTL_MS) return cached.connected;
    const connected = connectedReplicas(node);
    roles.set(node, { connected, readAt: now() });
    connected.catch(() => roles.delete(node));
    return connected;
  };
  return () => {
    const masters = redis instanceof Cluster ? redis.nodes('master') : [redis];
    const replicas = masters.map((node) => {
      const connected = connectedOf(node);
      // Read when the wait is called; a wait never called (nothing to acknowledge) ignores it.
      connected.catch(() => undefined);
      return { node, connected };
    });
    const wait = async () => {
      await Promise.all(
        replicas.map(async ({ node, connected }) => {
          try {
            await waitOnMaster(node, await connected, options);
          } catch (err) {
            roles.delete(node);
            throw err;
          }
        }),
      );
    };
    // A ROLE that fails counts as replicas to wait on: the wait then reports the failure.
    const needed = Promise.all(replicas.map(({ connected }) => connected)).then(
      (counts) => counts.some((count) => count > 0),
      () => true,
    );
    return Object.assign(wait, { needed });
  };
}

/** How long a master's `ROLE` answer (how many replicas it has) is used before it is read again. */
export const ROLE_TTL_MS = 1000;

async function connectedReplicas(node: Redis): Promise<number> {
  const role = (await node.call('ROLE')) as [string, unknown, unknown];
  return role[0] === 'master' && Array.isArray(role[2]) ? role[2].length : 0;
}

async function waitOnMaster(node: Redis, connected: number, options: ReplicaWaitOptions): Promise<void> {
  if (connected === 0) return;
  const wanted = Math.min(options.replicas, connected);
  const acknowledged = await node.wait(wanted, options.timeoutMs);
  if (acknowledged < wanted) {
    throw new ReplicasBehindError(
      `Redis ${node.options.host}:${node.options.port}: ${acknowledged} of ${wanted} replicas acknowledged the writes within ${options.timeoutMs} ms (REDIS_WAIT_TIMEOUT_MS)`,
    );
  }
}
