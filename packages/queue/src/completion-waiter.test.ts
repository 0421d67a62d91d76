import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Keys, type UploadStore } from '@longshore/metadata';
import { CompletionWaiter } from './completion-waiter.js';

const LIMITS = {
  minPartSize: 1024,
  maxPartSize: 4096,
  maxParts: 10,
  maxLayerSize: 65_536,
  partLockMs: 60_000,
  uploadTtlSeconds: 600,
  statusRetentionSeconds: 600,
};

const done = (record: { status: string } | undefined) => record?.status === 'completed';

/** One pattern subscription per process: waiters on a real Redis, announcements as the scripts make them. */
describe('CompletionWaiter', () => {
  const prefix = `waiter${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let subscriber: Redis;
  let keys: Keys;
  let uploads: UploadStore;
  let waiter: CompletionWaiter;

  /** What a status script publishes: the record's flat fields, as JSON. */
  const announce = (uploadId: string, status: string) =>
    redis.publish(keys.uploadEvents(uploadId), JSON.stringify({ uploadId, status, layerDigest: 'sha256:x' }));

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    subscriber = new Redis(inject('redisUrl'));
    ({ keys, uploads } = createStores(redis, prefix, LIMITS));
    waiter = new CompletionWaiter(subscriber, uploads, keys, 60_000);
  });

  afterAll(async () => {
    await waiter.close();
    await Promise.all([redis.quit(), subscriber.quit()]);
  });

  it('hears a status announced after its start, without reading the stored status', async () => {
    const uploadId = randomUUID();
    let announced = 0;
    const outcome = await waiter.waitFor(uploadId, done, 10_000, undefined, async () => {
      // Nothing is stored for this upload: a read would find nothing; the announcement must carry it.
      announced = await announce(uploadId, 'completed');
      return false;
    });
    // Exactly one client heard it: the waiter's own pattern subscription (no other matches this prefix).
    expect(announced).toBe(1);
    expect(outcome).toMatchObject({ timedOut: false, record: { uploadId, status: 'completed' } });
    expect(waiter.size).toBe(0);
  });

  it('reads the stored status once it listens, so a finished upload answers at once', async () => {
    const record = await uploads.initiate('waiter/repo', '000000000000');
    await uploads.annotate(record.uploadId, { status: 'completed' });
    const outcome = await waiter.waitFor(record.uploadId, done, 10_000, undefined, async () => true);
    expect(outcome).toMatchObject({ timedOut: false, record: { uploadId: record.uploadId, status: 'completed' } });
  });

  it('is not settled by another upload’s announcement, nor by a status its condition rejects', async () => {
    const uploadId = randomUUID();
    const outcome = await waiter.waitFor(uploadId, done, 300, undefined, async () => {
      await announce(randomUUID(), 'completed');
      await announce(uploadId, 'finalizing');
      return false;
    });
    expect(outcome).toMatchObject({ timedOut: true, record: { uploadId, status: 'finalizing' } });
  });

  it('throws what its start throws, and stops waiting', async () => {
    const failure = new Error('hand-over failed');
    await expect(
      waiter.waitFor(randomUUID(), done, 10_000, undefined, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(waiter.size).toBe(0);
  });

  it('finds a status that was stored without an announcement on its sweep', async () => {
    const sweeping = new CompletionWaiter(subscriber, uploads, keys, 20);
    try {
      const record = await uploads.initiate('waiter/repo', '000000000000');
      const outcome = await sweeping.waitFor(record.uploadId, done, 10_000, undefined, async () => {
        await uploads.annotate(record.uploadId, { status: 'completed' });
        return false;
      });
      expect(outcome).toMatchObject({ timedOut: false, record: { status: 'completed' } });
    } finally {
      await sweeping.close();
    }
  });
});

/**
 * A waiter built while its connection is still connecting (the API builds it at start): the
 * pattern subscription must hold once the connection is ready. A PSUBSCRIBE sent before ioredis's
 * ready check made Redis refuse that check, and ioredis reconnected without the subscription.
 */
describe('CompletionWaiter built before its connection is ready', () => {
  it('holds its pattern subscription and hears announcements', async () => {
    const prefix = `early${randomBytes(4).toString('hex')}`;
    const redis = new Redis(inject('redisUrl'));
    const { keys, uploads } = createStores(redis, prefix, LIMITS);
    const rounds: CompletionWaiter[] = [];
    const subscribers: Redis[] = [];
    try {
      for (let round = 0; round < 10; round++) {
        const connectionName = `${prefix}-round-${round}`;
        const subscriber = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null, connectionName });
        subscribers.push(subscriber);
        // The moment the TCP connection is up and the ready check not yet answered.
        await new Promise<void>((resolve) => subscriber.once('connect', () => resolve()));
        const waiter = new CompletionWaiter(subscriber, uploads, keys, 60_000);
        rounds.push(waiter);
        const uploadId = randomUUID();
        const outcome = await waiter.waitFor(uploadId, done, 5_000, undefined, async () => {
          // Announced until someone hears it, so an announcement sent before the subscription
          // is in place is not what is tested; a subscription that never comes times out.
          const announce = () =>
            redis.publish(keys.uploadEvents(uploadId), JSON.stringify({ uploadId, status: 'completed' }));
          const deadline = Date.now() + 5_000;
          while ((await announce()) === 0 && Date.now() < deadline) {
            await new Promise((resolve) => setImmediate(resolve));
          }
          return false;
        });
        expect(outcome, `round ${round}`).toMatchObject({ timedOut: false, record: { status: 'completed' } });
        // This round's own connection holds exactly one pattern subscription (CLIENT LIST's psub),
        // whatever other waiters the shared Redis serves.
        const clients = String(await redis.call('CLIENT', 'LIST')).split('\n');
        const own = clients.filter((line) => line.includes(` name=${connectionName} `));
        expect(own, `round ${round}`).toHaveLength(1);
        expect(own[0], `round ${round}`).toMatch(/ psub=1 /);
      }
    } finally {
      for (const waiter of rounds) await waiter.close();
      await Promise.all([redis.quit(), ...subscribers.map((s) => s.quit())]);
    }
  });
});
