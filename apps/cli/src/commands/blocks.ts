import { type AuthBlock, AuthFailureLimiter } from '@longshore/auth';
import type { Registry } from '../connect.js';
import type { Output } from '../output.js';

/** The service's failure limiter, as configured (AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_SECONDS). */
function limiterOf({ config, redis, stores }: Registry): AuthFailureLimiter {
  return new AuthFailureLimiter(redis, stores.keys.authLimits, {
    maxFailures: config.authFailureLimit,
    windowSeconds: config.authFailureWindowSeconds,
  });
}

/** `longshore blocks list`: the (source, key id) pairs whose failed authentications are throttled now. */
export async function listBlocks(registry: Registry, out: Output): Promise<AuthBlock[]> {
  const blocks = await limiterOf(registry).listBlocks();
  out.result(blocks, () =>
    blocks.length === 0
      ? ['No blocks.']
      : blocks.map(
          (b) =>
            `${b.source}  ${b.accessKeyId ?? '(no key id)'}  ${b.failures} failures, until ${new Date(b.until).toISOString()}`,
        ),
  );
  return blocks;
}

/** `longshore blocks lift <source> [accessKeyId]`: forgets the pair's failures at once. */
export async function liftBlock(
  registry: Registry,
  out: Output,
  source: string,
  accessKeyId: string | undefined,
): Promise<boolean> {
  const lifted = await limiterOf(registry).liftBlock({ source, accessKeyId });
  out.result({ source, accessKeyId, lifted }, () => [
    lifted ? `Lifted the block of ${source} ${accessKeyId ?? '(no key id)'}.` : 'There was no such block.',
  ]);
  return lifted;
}
