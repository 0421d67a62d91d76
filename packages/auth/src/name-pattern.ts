/**
 * A name pattern as IAM policies write them: `*` matches any run of characters (including `/`),
 * `?` exactly one; everything else matches itself. `team-a/*` matches `team-a/app` and
 * `team-a/x/y`; `*` matches everything.
 */
export class NamePattern {
  private readonly regex: RegExp;

  constructor(
    readonly source: string,
    options: { ignoreCase?: boolean } = {},
  ) {
    const body = source
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    this.regex = new RegExp(`^${body}$`, options.ignoreCase ? 'is' : 's');
  }

  matches(name: string): boolean {
    return this.regex.test(name);
  }
}
