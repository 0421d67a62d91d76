import { ProcessStartError } from '@longshore/embedded-process';

/** Swift was found but did not come up; carries the last lines its processes printed, each prefixed with its name. */
export class SwiftStartError extends ProcessStartError {
  override readonly name = 'SwiftStartError';
}
