import { createHash } from 'node:crypto';
import { ACCOUNT_WIDE } from './ecr-actions.js';
import type { NamePattern } from './name-pattern.js';

/** One `allow` entry: these actions on these repositories. */
export interface Grant {
  actions: NamePattern[];
  repositories: NamePattern[];
}

/**
 * An access key and what it may do. Only allows exist (no denies): an action is allowed when
 * some grant names both the action and the repository. `admin` keys may do everything.
 */
export class AccessKey {
  /** A digest of the secret: login tokens are bound to it, so rotating the secret revokes them. */
  readonly secretFingerprint: string;

  constructor(
    readonly accessKeyId: string,
    readonly secretAccessKey: string,
    readonly grants: readonly Grant[],
    /** Temporary credentials: requests must carry this as `X-Amz-Security-Token`. */
    readonly sessionToken?: string,
  ) {
    this.secretFingerprint = createHash('sha256')
      .update(`longshore-key\n${accessKeyId}\n${secretAccessKey}`)
      .digest('hex');
  }

  /**
   * Whether the key may perform `action` on `repository`. Account-wide actions
   * (`GetAuthorizationToken`, pass `ACCOUNT_WIDE`) need the action in any grant.
   */
  allows(action: string, repository: string): boolean {
    return this.grants.some(
      (grant) =>
        grant.actions.some((a) => a.matches(action)) &&
        (repository === ACCOUNT_WIDE || grant.repositories.some((r) => r.matches(repository))),
    );
  }

  /** Never print the secret: this is what logs and errors may show of a key. */
  toJSON(): { accessKeyId: string } {
    return { accessKeyId: this.accessKeyId };
  }
}
