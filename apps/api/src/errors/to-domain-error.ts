import { LongshoreError, RefusedError, ServerException, StorageBusyError, wordRefusal } from '@longshore/domain';
import { isStorageThrottled } from '@longshore/storage';

/** Seconds a client is asked to wait when the object store is throttling. */
const STORAGE_BUSY_RETRY_AFTER_SECONDS = 1;

/** A store's refusal (a code and facts) as the domain error the doors answer; anything else as it is. */
export function wordedRefusal(err: unknown): unknown {
  return err instanceof RefusedError ? wordRefusal(err.code, err.facts) : err;
}

/**
 * Anything thrown that is not a domain error is a server fault; its details stay in the log. A
 * store's refusal is worded (see wire/refusal-wording.ts). A store that kept throttling through
 * the driver's retries is no fault: the client retries later.
 */
export function toDomainError(err: unknown): LongshoreError {
  const worded = wordedRefusal(err);
  if (worded instanceof LongshoreError) return worded;
  if (isStorageThrottled(err)) {
    return new StorageBusyError(
      'The storage is busy (throttling requests); nothing was lost, retry the request',
      STORAGE_BUSY_RETRY_AFTER_SECONDS,
    );
  }
  return new ServerException('An internal error occurred; the request can be retried');
}
