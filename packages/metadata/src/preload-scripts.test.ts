import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LuaScript } from './keys.js';
import { preloadScripts, storeScripts } from './preload-scripts.js';

/** A script the server has never seen (a fresh body per run). */
const fresh: LuaScript = {
  numberOfKeys: 0,
  lua: `-- preload-scripts test ${Date.now()}-${Math.random()}\nreturn 1`,
};

function isLuaScript(value: unknown): value is LuaScript {
  return typeof value === 'object' && value !== null && 'lua' in value && 'numberOfKeys' in value;
}

const shaOf = (script: LuaScript) => createHash('sha1').update(script.lua).digest('hex');

/** SCRIPT EXISTS of each script: 1 where the server's cache holds it. */
async function held(redis: Redis, scripts: readonly LuaScript[]): Promise<number[]> {
  return (await redis.script('EXISTS', ...scripts.map(shaOf))) as number[];
}

describe('preloadScripts', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.disconnect());

  it('puts scripts into the server’s cache, so their first EVALSHA finds them', async () => {
    expect(await held(redis, [fresh])).toEqual([0]);
    expect(await preloadScripts(redis, [fresh])).toBe(1);
    expect(await held(redis, [fresh])).toEqual([1]);
    expect(await redis.evalsha(shaOf(fresh), 0)).toBe(1);
  });

  it('loads every store script by default', async () => {
    await preloadScripts(redis);
    expect(await held(redis, storeScripts)).toEqual(storeScripts.map(() => 1));
  });

  it('fails on a script Redis cannot compile', async () => {
    await expect(preloadScripts(redis, [{ numberOfKeys: 0, lua: 'return (' }])).rejects.toThrow(
      /Error compiling script/,
    );
  });

  it('lists every script the scripts/ and single-redis/ modules export', async () => {
    const exported: LuaScript[] = [];
    for (const folder of ['scripts', 'single-redis']) {
      const dir = new URL(`./${folder}/`, import.meta.url);
      for (const name of await readdir(dir)) {
        if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
        const module = (await import(new URL(name, dir).href)) as Record<string, unknown>;
        exported.push(...Object.values(module).filter(isLuaScript));
      }
    }
    expect(exported.length).toBeGreaterThan(20);
    for (const script of exported) expect(storeScripts).toContain(script);
  });
});
