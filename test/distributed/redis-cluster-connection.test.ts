import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { loadConfig } from '@longshore/config';
import { createRedisConnection, type RedisClient } from '@longshore/queue';
import { Queue, Worker } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';

// createRedisConnection against the real three-master Redis Cluster that
// test/global-setup-distributed.ts starts.
const clusterUrl = inject('redisClusterUrl');
const opened: { close(): Promise<unknown> }[] = [];

function connect(name: string, blocking = false): RedisClient {
  const client = createRedisConnection(clusterUrl, { name, blocking });
  opened.push({ close: () => client.quit() });
  return client;
}

afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

describe('createRedisConnection with a redis+cluster:// URL', () => {
  it('talks to every master: each key goes to the node that owns its slot', async () => {
    const redis = connect('cluster-commands');
    expect(redis).toBeInstanceOf(Cluster);
    const run = randomUUID();
    const keys = Array.from({ length: 48 }, (_, index) => `cluster-test:${run}:${index}`);
    await Promise.all(keys.map((key, index) => redis.set(key, String(index))));
    expect(await Promise.all(keys.map((key) => redis.get(key)))).toEqual(keys.map((_, index) => String(index)));

    const masters = (redis as Cluster).nodes('master');
    expect(masters).toHaveLength(3);
    const holding = await Promise.all(
      masters.map(async (node) => {
        // A master answers MOVED for a key whose slot another master owns.
        const found = keys.map((key) =>
          node.exists(key).catch((error: Error) => (/^MOVED /.test(error.message) ? 0 : Promise.reject(error))),
        );
        return (await Promise.all(found)).filter(Boolean).length;
      }),
    );
    // 48 random slots over three masters: every master holds some, and each key exactly one copy.
    expect(holding.every((count) => count > 0)).toBe(true);
    expect(holding.reduce((sum, count) => sum + count, 0)).toBe(keys.length);
  });

  it('delivers pub/sub messages to a subscriber connection', async () => {
    const subscriber = connect('cluster-subscriber', true);
    const publisher = connect('cluster-publisher');
    const channel = `cluster-test:events:${randomUUID()}`;
    await subscriber.subscribe(channel);
    const received = once(subscriber, 'message');
    // PUBLISH counts only the receivers on the node that ran it; the cluster bus carries it to the rest.
    await publisher.publish(channel, 'hello');
    expect(await received).toEqual([channel, 'hello']);
  });

  it('runs a BullMQ queue under the hash-tagged prefix the config derives for a cluster', async () => {
    const config = loadConfig({ REDIS_URL: clusterUrl, QUEUE_PREFIX: `q${randomUUID().slice(0, 8)}` });
    expect(config.queuePrefix).toMatch(/^\{q[0-9a-f]{8}\}$/);
    const connection = connect('cluster-queue');
    const queue = new Queue('finalize', { connection, prefix: config.queuePrefix });
    const worker = new Worker('finalize', async (job) => `done ${job.data.n}`, {
      connection: connect('cluster-worker', true),
      prefix: config.queuePrefix,
    });
    // Closing interrupts the worker's blocking wait; only errors before that count.
    const errors: Error[] = [];
    let closing = false;
    worker.on('error', (error) => {
      if (!closing) errors.push(error);
    });
    const closeWorker = (): Promise<void> => {
      closing = true;
      return worker.close();
    };
    opened.push({ close: () => queue.close() }, { close: closeWorker });
    await worker.waitUntilReady();
    const completed = once(worker, 'completed');
    await queue.add('job', { n: 7 });
    const [job, result] = (await completed) as [{ data: { n: number } }, string];
    expect(job.data.n).toBe(7);
    expect(result).toBe('done 7');
    expect(errors).toEqual([]);
  });

  it('shows why the tag is needed: BullMQ without it sends keys of several slots at once', async () => {
    const queue = new Queue('finalize', {
      connection: connect('cluster-untagged'),
      prefix: `untagged-${randomUUID()}`,
    });
    opened.push({ close: () => queue.close() });
    await expect(queue.add('job', {})).rejects.toThrow(/CROSSSLOT|should belong to the same slot/);
  });
});
