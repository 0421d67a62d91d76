import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PromptWorker } from './prompt-worker.js';

/**
 * What the worker's Redis sees, in the order Redis ran it (MONITOR, on a plain socket: ioredis's
 * monitor mode can take a monitor line for the answer to its own first command when Redis is
 * busy): how many move-to-active scripts ran on a queue before a point in time.
 */
class ScriptLog {
  private lines: string[][] = [];
  private socket!: Socket;
  private buffered = '';
  private readonly listeners = new Set<() => void>();

  async start(url: string): Promise<void> {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    await once(this.socket, 'connect');
    this.socket.setEncoding('utf8');
    const ok = new Promise<void>((resolve) => {
      this.socket.on('data', (chunk: string) => {
        this.buffered += chunk;
        let end = this.buffered.indexOf('\r\n');
        while (end >= 0) {
          const line = this.buffered.slice(0, end);
          this.buffered = this.buffered.slice(end + 2);
          if (line === '+OK') resolve();
          else this.lines.push([...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!));
          end = this.buffered.indexOf('\r\n');
        }
        for (const listener of this.listeners) listener();
      });
    });
    this.socket.write('MONITOR\r\n');
    await ok;
  }

  /**
   * The move-to-active scripts of queue `waitKey` that Redis ran before now: a unique ECHO is
   * sent and awaited in the log, so everything Redis ran before it is in the log too.
   */
  async fetchesBefore(redis: Redis, waitKey: string): Promise<number> {
    const mark = `mark-${randomBytes(6).toString('hex')}`;
    const seen = new Promise<void>((resolve) => {
      const listener = () => {
        if (this.lines.some((args) => args[0]?.toLowerCase() === 'echo' && args[1] === mark)) {
          this.listeners.delete(listener);
          resolve();
        }
      };
      this.listeners.add(listener);
    });
    await redis.echo(mark);
    await seen;
    const end = this.lines.findIndex((args) => args[1] === mark);
    // moveToActive-11.lua: EVALSHA <sha> 11 <wait key> … (EVAL <script> … the first time)
    return this.lines
      .slice(0, end)
      .filter((args) => /^eval(sha)?$/i.test(args[0] ?? '') && args[2] === '11' && args[3] === waitKey).length;
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
  }
}

describe('PromptWorker', () => {
  const prefix = `prompt${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  const log = new ScriptLog();

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    await log.start(inject('redisUrl'));
  });

  afterAll(async () => {
    await log.stop();
    await redis.quit();
  });

  /** Whether the worker of queue `name` is parked: its blocking connection blocked on the marker. */
  async function parked(name: string): Promise<boolean> {
    const clientName = `${prefix}:${Buffer.from(name).toString('base64')}`;
    const clients = String(await redis.client('LIST')).split('\n');
    return clients.some(
      (line) => line.includes(` name=${clientName} `) && /\bflags=\S*b/.test(line) && line.includes('cmd=bzpopmin'),
    );
  }

  /**
   * Starts `WorkerClass` on an idle queue and runs three jobs one after another, each added once
   * the worker is parked again (nothing left to fetch): how many fetches (move-to-active scripts)
   * Redis ran, per job.
   */
  async function fetchesPerLoneJob(kind: 'bullmq' | 'prompt'): Promise<number> {
    const name = `lone-${randomBytes(4).toString('hex')}`;
    const queue = new Queue(name, { connection: redis, prefix });
    const options = { connection: redis, prefix, concurrency: 4 };
    const processor = async () => 'done';
    const worker =
      kind === 'bullmq' ? new Worker(name, processor, options) : new PromptWorker(name, processor, options);
    const waitKey = `${prefix}:${name}:wait`;
    try {
      await expect.poll(() => parked(name)).toBe(true);
      const before = await log.fetchesBefore(redis, waitKey);
      for (let i = 0; i < 3; i++) {
        const job = await queue.add('one', {});
        await expect
          .poll(async () => (await queue.getJobState(job.id!)) === 'completed' && (await parked(name)))
          .toBe(true);
      }
      return ((await log.fetchesBefore(redis, waitKey)) - before) / 3;
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }

  it('fetches once less per lone job than BullMQ’s own worker', async () => {
    // BullMQ's own: the fetch that brings the job, one more for a free slot right after it, and one
    // when the marker (set again by the first) wakes the loop. Here the second is not made.
    expect(await fetchesPerLoneJob('bullmq')).toBe(3);
    expect(await fetchesPerLoneJob('prompt')).toBe(2);
  });

  it('still takes every waiting job at once, up to its concurrency', async () => {
    const name = `many-${randomBytes(4).toString('hex')}`;
    const queue = new Queue(name, { connection: redis, prefix });
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'job', data: { i } })));
    const started = new Set<number>();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const worker = new PromptWorker<{ i: number }>(
      name,
      async (job) => {
        started.add(job.data.i);
        // Each job holds its slot until all five have started: only taking them side by side ends this.
        if (started.size === 5) release();
        await released;
      },
      { connection: redis, prefix, concurrency: 5 },
    );
    try {
      await released;
      expect([...started].sort()).toEqual([0, 1, 2, 3, 4]);
      await expect.poll(() => queue.getCompletedCount()).toBe(5);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('takes a job added while it waits idle, and the next one after it', async () => {
    const name = `later-${randomBytes(4).toString('hex')}`;
    const queue = new Queue(name, { connection: redis, prefix });
    const ran: string[] = [];
    const worker = new PromptWorker(
      name,
      async (job) => {
        ran.push(job.name);
      },
      { connection: redis, prefix, concurrency: 2 },
    );
    const drained = new Promise<void>((resolve) => worker.once('drained', () => resolve()));
    try {
      await drained;
      await queue.add('first', {});
      await expect.poll(() => ran).toEqual(['first']);
      await queue.add('second', {});
      await expect.poll(() => ran).toEqual(['first', 'second']);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
