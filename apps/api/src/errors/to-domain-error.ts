import { LongshoreError, ServerException } from '@longshore/domain';

/** Anything thrown that is not a domain error is a server fault; its details stay in the log. */
export function toDomainError(err: unknown): LongshoreError {
  if (err instanceof LongshoreError) return err;
  return new ServerException('An internal error occurred; the request can be retried');
}
