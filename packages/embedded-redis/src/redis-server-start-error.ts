/** redis-server was found but did not come up; carries the last lines it printed. */
export class RedisServerStartError extends Error {
  override readonly name = 'RedisServerStartError';

  constructor(
    reason: string,
    /** The last lines redis-server wrote to stdout/stderr, oldest first. */
    readonly outputTail: readonly string[],
    /** The port was taken by another process (worth retrying on another port). */
    readonly portInUse: boolean,
  ) {
    const output =
      outputTail.length === 0
        ? ' (redis-server printed nothing)'
        : `; its last output:\n${outputTail.map((line) => `  ${line}`).join('\n')}`;
    super(`${reason}${output}`);
  }
}
