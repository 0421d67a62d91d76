import { findExecutable, isExecutableFile } from '@longshore/embedded-process';

/** Where package managers put redis-server when it is not on PATH. */
export const WELL_KNOWN_REDIS_SERVER_PATHS: readonly string[] = [
  '/usr/bin/redis-server', // Debian/Ubuntu `apt-get install redis-server`
  '/usr/local/bin/redis-server', // `make install` from source, Homebrew on Intel macOS
  '/opt/homebrew/bin/redis-server', // Homebrew on Apple silicon
];

/**
 * Finds the redis-server executable. An explicit `binary` (a path, or a name looked up on PATH)
 * is the only candidate when given; otherwise `redis-server` on PATH, then the well-known paths.
 */
export function findRedisServer(binary?: string): string | undefined {
  if (binary !== undefined) return findExecutable(binary);
  return findExecutable('redis-server') ?? WELL_KNOWN_REDIS_SERVER_PATHS.find(isExecutableFile);
}
