import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { findRedisServer } from './find-redis-server.js';
import { sendRedisCommand, type RespValue } from './redis-command.js';
import { RedisServerNotFoundError } from './redis-server-not-found-error.js';
import { RedisServerStartError } from './redis-server-start-error.js';
import { startEmbeddedRedis, type EmbeddedRedis, type EmbeddedRedisOptions } from './start-embedded-redis.js';

const host = '127.0.0.1';
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'longshore-embedded-redis-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Starts an instance that is stopped when the test ends, whatever happens. */
async function started(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const redis = await startEmbeddedRedis(options);
  onTestFinished(() => redis.stop());
  return redis;
}

function command(redis: EmbeddedRedis, ...args: string[]): Promise<RespValue> {
  return sendRedisCommand(host, redis.port, args, 2_000);
}

describe('startEmbeddedRedis', () => {
  it('starts independent instances with AOF on, and stop() closes their ports', async () => {
    const [a, b] = await Promise.all([started({ dataDir: join(root, 'a') }), started({ dataDir: join(root, 'b') })]);

    expect(a.port).not.toBe(b.port);
    expect(a.url).toBe(`redis://127.0.0.1:${a.port}`);
    for (const [redis, name] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      expect(await command(redis, 'PING')).toBe('PONG');
      expect(await command(redis, 'CONFIG', 'GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await command(redis, 'CONFIG', 'GET', 'dir')).toEqual(['dir', join(root, name)]);
      expect(await command(redis, 'INFO', 'server')).toContain(`process_id:${redis.pid}`);
    }
    expect(await command(a, 'SET', 'only-in-a', '1')).toBe('OK');
    expect(await command(b, 'EXISTS', 'only-in-a')).toBe(0);
    expect(existsSync(join(root, 'a', 'appendonlydir'))).toBe(true);

    await Promise.all([a.stop(), b.stop()]);
    await a.stop(); // idempotent

    for (const redis of [a, b]) {
      await expect(command(redis, 'PING')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    }
  });

  it('keeps data written before stop() in the AOF across a restart', async () => {
    const dataDir = join(root, 'restart');
    const first = await started({ dataDir });
    expect(await command(first, 'SET', 'survives', 'restart')).toBe('OK');
    await first.stop();

    const second = await started({ dataDir });
    expect(await command(second, 'GET', 'survives')).toBe('restart');
  });

  it('runs without AOF when appendOnly is false and passes its output to log', async () => {
    const lines: string[] = [];
    const redis = await started({
      dataDir: join(root, 'no-aof'),
      appendOnly: false,
      log: (line) => lines.push(line),
    });

    expect(await command(redis, 'CONFIG', 'GET', 'appendonly')).toEqual(['appendonly', 'no']);
    expect(lines.join('\n')).toMatch(/ready to accept connections/i);
  });

  it('fails with redis-server’s own output when the requested port is taken', async () => {
    // Something other than Redis holds the port; it hangs up on whoever connects.
    const blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, host, resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    if (typeof address !== 'object' || address === null) throw new Error('blocker has no port');

    const failure = startEmbeddedRedis({ dataDir: join(root, 'clash'), port: address.port });

    await expect(failure).rejects.toBeInstanceOf(RedisServerStartError);
    await expect(failure).rejects.toMatchObject({
      portInUse: true,
      message: expect.stringMatching(/exited with code 1[\s\S]*address already in use/i),
    });
  });

  it('rejects with RedisServerNotFoundError when the binary does not exist', async () => {
    await expect(
      startEmbeddedRedis({ dataDir: join(root, 'missing'), binary: '/nonexistent/redis' }),
    ).rejects.toBeInstanceOf(RedisServerNotFoundError);
  });
});

describe('findRedisServer', () => {
  it('returns undefined for a binary that does not exist', () => {
    expect(findRedisServer('/nonexistent/redis')).toBeUndefined();
  });
});

describe('RedisServerNotFoundError', () => {
  it('says how to install redis-server', () => {
    const { message } = new RedisServerNotFoundError();
    expect(message).toContain('apt-get install -y redis-server');
    expect(message).toContain('brew install redis');
    expect(message).toContain('REDIS_URL');
  });
});
