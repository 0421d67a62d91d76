/** A failure the user can act on: printed as its message alone (or as JSON with --json), exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
