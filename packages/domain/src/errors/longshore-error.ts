/**
 * Base of every domain error. Domain errors know nothing of HTTP: each carries the name of the
 * Amazon ECR exception it stands for, the modeled fields that exception carries besides
 * `message`, and whether a client may retry. The API's wire table turns them into responses.
 */
export abstract class LongshoreError extends Error {
  abstract override readonly name: string;
  /** Modeled fields of the ECR exception other than `message` (e.g. `lastValidByteReceived`). */
  readonly fields: Readonly<Record<string, string | number>>;
  /** Seconds a client is asked to wait before retrying (`Retry-After` on every wire); unset for most errors. */
  readonly retryAfterSeconds?: number;

  constructor(message: string, fields: Record<string, string | number> = {}) {
    super(message);
    this.fields = fields;
  }

  /** Permanent failures are not retried by the queue; transient ones are. */
  get permanent(): boolean {
    return true;
  }
}

/**
 * A transient refusal that names when to come back: `Retry-After` on every wire, and the queue
 * retries it (ThrottlingException, StorageBusyError).
 */
export abstract class RetryAfterError extends LongshoreError {
  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
  override get permanent(): boolean {
    return false;
  }
}
