/** Swift was found but did not come up; carries the last lines its processes printed. */
export class SwiftStartError extends Error {
  override readonly name = 'SwiftStartError';

  constructor(
    reason: string,
    /** The last output lines, each prefixed with the process that printed it. */
    readonly outputTail: readonly string[],
    /** A port was taken by another process (worth retrying on other ports). */
    readonly portInUse: boolean,
  ) {
    const output =
      outputTail.length === 0
        ? ' (nothing was printed)'
        : `; the last output:\n${outputTail.map((line) => `  ${line}`).join('\n')}`;
    super(`${reason}${output}`);
  }
}
