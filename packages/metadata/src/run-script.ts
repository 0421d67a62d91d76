import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export interface LuaScript {
  numberOfKeys: number;
  lua: string;
}

const shas = new WeakMap<LuaScript, string>();

/** Runs a script by its SHA (one round trip), loading it on first use on each Redis. */
export async function runScript<T = unknown>(
  redis: Redis | Cluster,
  script: LuaScript,
  keys: string[],
  args: (string | number | Buffer)[],
): Promise<T> {
  if (keys.length !== script.numberOfKeys) {
    throw new Error(`script expects ${script.numberOfKeys} keys, got ${keys.length}`);
  }
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script.lua).digest('hex');
    shas.set(script, sha);
  }
  try {
    return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as T;
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return (await redis.eval(script.lua, keys.length, ...keys, ...args)) as T;
  }
}
