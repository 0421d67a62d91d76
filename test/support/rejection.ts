import { expect } from 'vitest';

/**
 * The error `promise` rejects with, checked to be an instance of `ErrorClass` (the SDK's modeled
 * exception class); fails the test if the promise fulfils instead.
 */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  ErrorClass: abstract new (...args: never[]) => E,
): Promise<E> {
  const outcome = await promise.then(
    (value) => ({ fulfilled: true as const, value }),
    (error: unknown) => ({ fulfilled: false as const, error }),
  );
  if (outcome.fulfilled) {
    throw new Error(`expected ${ErrorClass.name}, but the call succeeded with ${JSON.stringify(outcome.value)}`);
  }
  expect(outcome.error).toBeInstanceOf(ErrorClass);
  return outcome.error as E;
}

/** The HTTP status the SDK saw for a service exception. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
