import { HEARTBEAT_MS, type WorkerRegistry } from '@longshore/metadata';

/**
 * Announces the worker `workerId` in Redis now and every few seconds, so /readyz and `longshore
 * gc run` can tell whether anyone consumes the queues. stop() ends it and withdraws the worker.
 */
export async function startHeartbeat(registry: WorkerRegistry, workerId: string): Promise<{ stop(): Promise<void> }> {
  await registry.heartbeat(workerId);
  const timer = setInterval(() => void registry.heartbeat(workerId).catch(() => undefined), HEARTBEAT_MS);
  return {
    async stop() {
      clearInterval(timer);
      await registry.remove(workerId).catch(() => undefined);
    },
  };
}
