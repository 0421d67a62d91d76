import type { Principal } from '@longshore/auth';
import type { Logger } from '@longshore/telemetry';

/** What an operation may know of the HTTP request it serves. */
export interface OperationContext {
  requestId: string;
  /** The registry id this service serves; a request naming another was refused by the door. */
  registryId: string;
  log: Logger;
  /**
   * Base URL clients reach this API at (for download URLs and repositoryUri). Reading it throws
   * an InvalidParameterException for a Host the service does not answer for: read it before any
   * side effect.
   */
  readonly baseUrl: string;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Who is asking (already allowed the operation on the repositories it names). */
  principal: Principal;
  /** Whether the caller may perform `action` on `repositoryName` (to filter listings). */
  allows(action: string, repositoryName: string): boolean;
}
