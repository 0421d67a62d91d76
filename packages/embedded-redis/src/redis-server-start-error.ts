import { ProcessStartError } from '@longshore/embedded-process';

/** redis-server was found but did not come up; carries the last lines it printed. */
export class RedisServerStartError extends ProcessStartError {
  override readonly name = 'RedisServerStartError';
}
