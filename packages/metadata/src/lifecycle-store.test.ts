import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from './keys.js';
import { LifecycleStore } from './lifecycle-store.js';

describe('LifecycleStore on a real Redis', () => {
  const prefix = `lc${Math.random().toString(36).slice(2, 8)}`;
  let hostA: Redis;
  let hostB: Redis;
  let a: LifecycleStore;
  let b: LifecycleStore;
  beforeAll(() => {
    hostA = new Redis(inject('redisUrl'));
    hostB = new Redis(inject('redisUrl'));
    a = new LifecycleStore(hostA, createKeys(prefix));
    b = new LifecycleStore(hostB, createKeys(prefix));
  });
  afterAll(async () => {
    await Promise.all([hostA.quit(), hostB.quit()]);
  });

  it('lets one host at a time evaluate a repository, and the next one once it is done', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = a.withEvaluationLock('team/app', 60_000, async () => {
      entered();
      await held;
      return 'first';
    });
    await inside;
    // While the first holds the lock, the other host is turned away.
    expect(await b.withEvaluationLock('team/app', 60_000, async () => 'second')).toBeUndefined();
    // Another repository is not held up.
    expect(await b.withEvaluationLock('team/other', 60_000, async () => 'other')).toBe('other');
    release();
    expect(await first).toBe('first');
    expect(await b.withEvaluationLock('team/app', 60_000, async () => 'second')).toBe('second');
  });

  it('keeps the policy and lists its repository', async () => {
    await a.put('team/app', '{"rules":[]}');
    expect(await b.repositories()).toContain('team/app');
    expect((await a.delete('team/app'))?.text).toBe('{"rules":[]}');
    expect(await b.repositories()).not.toContain('team/app');
  });
});
