/**
 * An embedded server was found but did not come up. Carries the last lines it printed and
 * whether a port clash is why (worth retrying on other ports). Each embedded server names its
 * own subclass, so callers can tell Redis from Swift.
 */
export class ProcessStartError extends Error {
  override readonly name: string = 'ProcessStartError';

  constructor(
    reason: string,
    /** The last lines the process(es) wrote to stdout/stderr, oldest first. */
    readonly outputTail: readonly string[],
    /** A port was taken by another process. */
    readonly portInUse: boolean,
  ) {
    const output =
      outputTail.length === 0
        ? ' (nothing was printed)'
        : `; the last output:\n${outputTail.map((line) => `  ${line}`).join('\n')}`;
    super(`${reason}${output}`);
  }
}

/** Whether a server's output says it could not bind its port. */
export function saysPortInUse(outputTail: readonly string[]): boolean {
  return outputTail.some((line) => /address already in use|could not bind/i.test(line));
}
