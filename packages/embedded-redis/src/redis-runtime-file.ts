import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The file, in the embedded Redis's directory, that says where the running redis-server listens. */
export const REDIS_RUNTIME_FILE = 'longshore-redis.json';

/** What the runtime file holds. */
export interface RedisRuntime {
  url: string;
  pid: number;
}

/**
 * Records where the embedded redis-server listens (written by `npm start` each time it starts
 * one), so tools run beside the service (`npx longshore …`) find it through DATA_DIR alone.
 * Written to a temp file and renamed: a reader never sees half of it. Owner-only.
 */
export async function writeRedisRuntimeFile(dir: string, runtime: RedisRuntime): Promise<void> {
  const file = path.join(dir, REDIS_RUNTIME_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(runtime)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

/** The recorded redis-server, or undefined when none was started under `dir`. */
export async function readRedisRuntimeFile(dir: string): Promise<RedisRuntime | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, REDIS_RUNTIME_FILE), 'utf8')) as RedisRuntime;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes the record once the redis-server it names is stopped. */
export async function removeRedisRuntimeFile(dir: string): Promise<void> {
  await rm(path.join(dir, REDIS_RUNTIME_FILE), { force: true });
}
