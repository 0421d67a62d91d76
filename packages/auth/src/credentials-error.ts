/** The credentials configuration cannot be used; `problems` names every one, with where it is. */
export class CredentialsError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid credentials in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CredentialsError';
  }
}
