import { WELL_KNOWN_REDIS_SERVER_PATHS } from './find-redis-server.js';

/** No redis-server executable could be found; the message says how to get one. */
export class RedisServerNotFoundError extends Error {
  override readonly name = 'RedisServerNotFoundError';

  constructor(binary?: string) {
    const searched =
      binary === undefined ? `redis-server on PATH, ${WELL_KNOWN_REDIS_SERVER_PATHS.join(', ')}` : binary;
    super(
      `redis-server was not found (looked for ${searched}). Install it with ` +
        '`apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis` (macOS), ' +
        'or set REDIS_URL to an existing Redis.',
    );
  }
}
