import { AccessDeniedException, MissingAuthenticationTokenException } from '@longshore/domain';
import type { CredentialSet } from './credential-set.js';
import { ACCOUNT_WIDE, readOnlyActions } from './ecr-actions.js';
import type { Principal } from './principal.js';

export interface PermissionsOptions {
  registryId: string;
  region: string;
}

/**
 * Decides whether a principal may perform an ECR action on a repository, and answers as ECR does
 * when it may not: AccessDeniedException with the IAM-style message, or, for a caller with no
 * credentials at all, MissingAuthenticationTokenException.
 */
export class Permissions {
  constructor(
    private readonly credentials: () => CredentialSet,
    private readonly options: PermissionsOptions,
  ) {}

  can(principal: Principal, action: string, repository: string): boolean {
    switch (principal.kind) {
      case 'unrestricted':
        return true;
      case 'anonymous':
        return this.anonymousMay(action, repository);
      case 'key':
        // A key's rights include what anonymous callers have: signing in never loses a public pull.
        return principal.key.allows(action, repository) || this.anonymousMay(action, repository);
    }
  }

  private anonymousMay(action: string, repository: string): boolean {
    return repository !== ACCOUNT_WIDE && readOnlyActions.has(action) && this.credentials().isAnonymousPull(repository);
  }

  /** Throws unless the principal may perform `action` on every one of `repositories`. */
  require(principal: Principal, action: string, repositories: string | readonly string[]): void {
    for (const repository of typeof repositories === 'string' ? [repositories] : repositories) {
      if (this.can(principal, action, repository)) continue;
      if (principal.kind === 'anonymous') throw new MissingAuthenticationTokenException('Missing Authentication Token');
      const user = principal.kind === 'key' ? principal.key.accessKeyId : 'anonymous';
      const resource =
        repository === ACCOUNT_WIDE
          ? '*'
          : `arn:aws:ecr:${this.options.region}:${this.options.registryId}:repository/${repository}`;
      throw new AccessDeniedException(
        `User: arn:aws:iam::${this.options.registryId}:user/${user} is not authorized to perform: ${action} ` +
          `on resource: ${resource} because no identity-based policy allows the ${action} action`,
      );
    }
  }
}
