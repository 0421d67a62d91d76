import { readFileSync } from 'node:fs';

/** What a credentialArn stands for: as ECR's Secrets Manager secret, a username and an access token. */
export interface UpstreamCredential {
  username: string;
  /** The password, personal access token or API key the upstream accepts with `username`. */
  accessToken: string;
}

/**
 * The upstream credentials of UPSTREAM_CREDENTIALS_FILE: a JSON object whose keys are credential
 * ARNs (`arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>`) and whose
 * values are `{ "username": "...", "accessToken": "..." }`. Read once at start; a malformed file
 * stops the start with the entry it objects to (never a secret's value).
 */
export class UpstreamCredentials {
  private constructor(private readonly entries: ReadonlyMap<string, UpstreamCredential>) {}

  static none(): UpstreamCredentials {
    return new UpstreamCredentials(new Map());
  }

  static load(file: string | undefined): UpstreamCredentials {
    if (!file) return UpstreamCredentials.none();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`UPSTREAM_CREDENTIALS_FILE ${file} cannot be read: ${(err as NodeJS.ErrnoException).code}`);
    }
    return UpstreamCredentials.parse(text, file);
  }

  static parse(text: string, source = 'UPSTREAM_CREDENTIALS_FILE'): UpstreamCredentials {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${source} is not valid JSON`);
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      throw new Error(`${source} must be a JSON object of credentialArn → { username, accessToken }`);
    }
    const entries = new Map<string, UpstreamCredential>();
    for (const [arn, value] of Object.entries(json as Record<string, unknown>)) {
      if (!CREDENTIAL_ARN.test(arn)) {
        throw new Error(
          `${source}: '${arn.slice(0, 100)}' is not a credential ARN (arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>)`,
        );
      }
      const { username, accessToken } = (value ?? {}) as Record<string, unknown>;
      if (typeof username !== 'string' || !username || typeof accessToken !== 'string' || !accessToken) {
        throw new Error(`${source}: the entry '${arn}' needs a non-empty "username" and "accessToken"`);
      }
      entries.set(arn, { username, accessToken });
    }
    return new UpstreamCredentials(entries);
  }

  has(arn: string): boolean {
    return this.entries.has(arn);
  }

  get(arn: string): UpstreamCredential | undefined {
    return this.entries.get(arn);
  }
}

/** The model's CredentialArn pattern. */
const CREDENTIAL_ARN =
  /^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr-pullthroughcache\/[a-zA-Z0-9/_+=.@-]+$/;
