import { ensureOsPackages } from '@longshore/embedded-process';
import { findRedisServer } from './find-redis-server.js';

/** The embedded Redis's requirement: a redis-server executable. */
export const redisServerRequirement = {
  package: 'redis-server',
  present: () => findRedisServer() !== undefined,
};

/**
 * Installs redis-server from the OS packages when it is missing and that is safe to do unasked
 * (see ensureOsPackages). Resolves with whether redis-server can be found afterwards.
 */
export async function installRedisServer(log: (line: string) => void): Promise<boolean> {
  return (await ensureOsPackages([redisServerRequirement], log)).length === 0;
}
