import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LuaScript, redisErrorPrefix, runScript, runScriptThen } from './keys.js';

/** A script the server has never seen (a fresh body per run), so the first EVALSHA answers NOSCRIPT. */
const script: LuaScript = {
  numberOfKeys: 1,
  lua: `-- run-script test ${Date.now()}-${Math.random()}\nreturn redis.call('INCR', KEYS[1])`,
};

describe('runScript', () => {
  let redis: Redis;
  const key = `test:run-script:${process.pid}:${Date.now()}`;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it('runs a script the server does not hold (NOSCRIPT) by sending its body, then by its SHA', async () => {
    expect(await runScript<number>(redis, script, [key], [])).toBe(1);
    expect(await runScript<number>(redis, script, [key], [])).toBe(2);
  });

  it('reads the kind of a Redis error reply from its first word, and nothing from other errors', async () => {
    const reply = await redis.evalsha('0'.repeat(40), 0).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(redisErrorPrefix(reply)).toBe('NOSCRIPT');
    const wrongType = await redis
      .set(key, 'x')
      .then(() => redis.lpush(key, 'y'))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(redisErrorPrefix(wrongType)).toBe('WRONGTYPE');
    expect(redisErrorPrefix(new Error('NOSCRIPT lookalike'))).toBeUndefined();
  });

  it('passes on an error that is not NOSCRIPT', async () => {
    await redis.set(key, 'not a number');
    await expect(runScript(redis, script, [key], [])).rejects.toThrow(/not an integer/);
  });

  it('runScriptThen: a command sent by `then` on the same connection runs behind the script', async () => {
    await redis.del(key);
    await runScript(redis, script, [key], []); // the server holds the script now
    let behind: Promise<string | null> | undefined;
    const { answer, inOrder } = await runScriptThen<number>(redis, script, [key], [], () => {
      behind = redis.get(key);
    });
    expect(answer).toBe(2);
    expect(inOrder).toBe(true);
    expect(await behind, 'the command behind saw the script done').toBe('2');
  });

  it('runScriptThen: a script sent again after NOSCRIPT ran behind what `then` sent, and says so', async () => {
    const unseen: LuaScript = { numberOfKeys: 1, lua: `${script.lua}\n-- unseen ${Math.random()}` };
    await redis.del(key);
    let behind: Promise<string | null> | undefined;
    const { answer, inOrder } = await runScriptThen<number>(redis, unseen, [key], [], () => {
      behind = redis.get(key);
    });
    expect(answer).toBe(1);
    expect(inOrder).toBe(false);
    expect(await behind, 'the command behind ran before the script').toBeNull();
  });
});
