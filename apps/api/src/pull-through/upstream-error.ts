/**
 * An upstream registry could not answer: unreachable, too slow (PULL_THROUGH_UPSTREAM_TIMEOUT_MS),
 * refused our credentials, or answered something other than what was asked. `status` is the
 * upstream's HTTP status when it answered; `reason` is a bounded label for metrics.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly reason: UpstreamErrorReason,
    readonly status?: number,
  ) {
    super(message);
  }

  /** The upstream says the thing does not exist (404), as opposed to failing to answer. */
  get notFound(): boolean {
    return this.status === 404;
  }
}

export type UpstreamErrorReason = 'unreachable' | 'timeout' | 'unauthorized' | 'status' | 'digest-mismatch' | 'invalid';
