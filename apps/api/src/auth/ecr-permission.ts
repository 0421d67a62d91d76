import { ACCOUNT_WIDE } from '@longshore/auth';

/** The IAM action and repositories an ECR operation needs, as ECR defines them. */
export interface EcrPermission {
  action: string;
  /** The repositories the request names; `ACCOUNT_WIDE` for actions that name none. */
  repositories: readonly string[];
  /** DescribeRepositories without names: the answer is filtered to what the caller may describe. */
  filtered: boolean;
}

/**
 * Every ECR operation `X` is the IAM action `ecr:X` on the repository its input names
 * (`repositoryName`, or each of `repositoryNames`). GetAuthorizationToken names none.
 */
export function ecrPermissionFor(operation: string, input: object): EcrPermission {
  const action = `ecr:${operation}`;
  const { repositoryName, repositoryNames } = input as { repositoryName?: unknown; repositoryNames?: unknown };
  if (typeof repositoryName === 'string') return { action, repositories: [repositoryName], filtered: false };
  if (Array.isArray(repositoryNames)) return { action, repositories: repositoryNames as string[], filtered: false };
  // TagResource, UntagResource, ListTagsForResource: the repository the ARN names.
  const { resourceArn } = input as { resourceArn?: unknown };
  const named = typeof resourceArn === 'string' ? repositoryOfArn(resourceArn) : undefined;
  if (named !== undefined) return { action, repositories: [named], filtered: false };
  return { action, repositories: operation === 'DescribeRepositories' ? [] : [ACCOUNT_WIDE], filtered: true };
}

/** The repository name of `arn:aws:ecr:<region>:<registry>:repository/<name>`, else undefined. */
export function repositoryOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:ecr:[a-z0-9-]*:[0-9]{12}:repository\/(.+)$/.exec(arn)?.[1];
}
