import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createReplicaWait, ROLE_TTL_MS, ReplicasBehindError } from './replica-wait.js';

/** A master as the wait sees it: ROLE names `replicas` replicas; WAIT answers `acknowledged`. */
function fakeMaster(replicas: number, acknowledged = replicas) {
  const calls = { role: 0, wait: [] as number[] };
  const node = {
    options: { host: 'fake', port: 6379 },
    call: async (command: string) => {
      expect(command).toBe('ROLE');
      calls.role += 1;
      return ['master', 0, Array.from({ length: replicas }, (_, i) => [`10.0.0.${i}`, '6379', '0'])];
    },
    wait: async (wanted: number) => {
      calls.wait.push(wanted);
      return acknowledged;
    },
  };
  return { node: node as unknown as Redis, calls };
}

describe('createReplicaWait', () => {
  it('reads a master’s replicas once per ROLE_TTL_MS, not once per wait', async () => {
    let now = 1_000_000;
    const { node, calls } = fakeMaster(2);
    const start = createReplicaWait(node, { replicas: 1, timeoutMs: 100 }, () => now);
    for (let i = 0; i < 5; i++) await start()();
    expect(calls.role).toBe(1);
    expect(calls.wait).toEqual([1, 1, 1, 1, 1]);
    now += ROLE_TTL_MS;
    await start()();
    expect(calls.role).toBe(2);
  });

  it('does not wait on a master without replicas', async () => {
    const { node, calls } = fakeMaster(0);
    const start = createReplicaWait(node, { replicas: 1, timeoutMs: 100 });
    await start()();
    await start()();
    expect(calls).toEqual({ role: 1, wait: [] });
  });

  it('reads ROLE again after a wait fell short (a replica gone)', async () => {
    const now = 1_000_000;
    const { node, calls } = fakeMaster(1, 0);
    const start = createReplicaWait(node, { replicas: 1, timeoutMs: 100 }, () => now);
    await expect(start()()).rejects.toBeInstanceOf(ReplicasBehindError);
    await expect(start()()).rejects.toBeInstanceOf(ReplicasBehindError);
    expect(calls.role).toBe(2);
  });

  it('never reads ROLE when no replica is asked for', async () => {
    const { node, calls } = fakeMaster(3);
    await createReplicaWait(node, { replicas: 0, timeoutMs: 100 })()();
    expect(calls).toEqual({ role: 0, wait: [] });
  });
});
