import { createReplicaWait } from '@longshore/queue';
import type { WorkerContext } from '../worker-context.js';

/** What finalizing an upload and verifying a stored part use, from the process's shared context. */
export function finalizationDeps(context: WorkerContext) {
  const { config, stores, storage, hashPool, metrics } = context;
  return {
    uploads: stores.uploads,
    layers: stores.layers,
    blobs: stores.blobs,
    storage,
    hashPool,
    verifyMode: config.verifyMode,
    onVerifiedBytes: (bytes: number) => metrics.verifiedBytes.inc(bytes),
    replicated: createReplicaWait(context.storeRedis, {
      replicas: config.redisWaitReplicas,
      timeoutMs: config.redisWaitTimeoutMs,
    }),
  };
}
