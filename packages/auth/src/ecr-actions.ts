/**
 * The IAM actions of Amazon ECR that Longshore checks. A permission names them as `ecr:<Action>`,
 * with `*` and `?` wildcards (`ecr:*`, `ecr:Get*`), matched without regard to case as IAM does.
 */
export const ecrActions = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchDeleteImage',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:CreateRepository',
  'ecr:DeleteRepository',
  'ecr:DescribeImages',
  'ecr:DescribeRepositories',
  'ecr:GetAuthorizationToken',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:ListImages',
  'ecr:PutImage',
  'ecr:PutImageTagMutability',
  'ecr:UploadLayerPart',
  'ecr:CreatePullThroughCacheRule',
  'ecr:DescribePullThroughCacheRules',
  'ecr:UpdatePullThroughCacheRule',
  'ecr:DeletePullThroughCacheRule',
  'ecr:ValidatePullThroughCacheRule',
  // Pulling through a pull-through cache rule into a repository (besides the pull actions).
  'ecr:BatchImportUpstreamImage',
  // Actions of ECR that Longshore does not serve: accepted in permissions so that policies
  // written for ECR can be used as they are.
  'ecr:DeleteLifecyclePolicy',
  'ecr:DeleteRepositoryPolicy',
  'ecr:DescribeImageScanFindings',
  'ecr:DescribeRegistry',
  'ecr:GetLifecyclePolicy',
  'ecr:GetRepositoryPolicy',
  'ecr:ListTagsForResource',
  'ecr:PutImageScanningConfiguration',
  'ecr:PutLifecyclePolicy',
  'ecr:ReplicateImage',
  'ecr:SetRepositoryPolicy',
  'ecr:StartImageScan',
  'ecr:TagResource',
  'ecr:UntagResource',
] as const;

export type EcrAction = (typeof ecrActions)[number];

/** What a registry pull needs, as ECR documents it for `docker pull`. */
export const pullActions: readonly EcrAction[] = [
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
];

/** Actions that only read: the only ones `anonymousPull` repositories allow without credentials. */
export const readOnlyActions: ReadonlySet<string> = new Set<EcrAction>([
  ...pullActions,
  'ecr:DescribeImages',
  'ecr:ListImages',
]);

/** `GetAuthorizationToken` has no repository: IAM scopes it to resource `*`. */
export const ACCOUNT_WIDE = '*';
