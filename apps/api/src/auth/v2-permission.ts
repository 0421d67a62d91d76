import { ACCOUNT_WIDE } from '@longshore/auth';

/**
 * The IAM action a /v2 operation needs, as ECR maps registry calls to its API: a pull is
 * BatchGetImage (manifests), GetDownloadUrlForLayer (blobs) and BatchCheckLayerAvailability
 * (blob HEAD); a push is InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload and PutImage.
 * `undefined`: the operation only needs the caller to be authenticated (the `/v2/` ping, the catalog).
 */
const actions: Record<string, string | undefined> = {
  'v2.Base': undefined,
  'v2.HeadBlob': 'ecr:BatchCheckLayerAvailability',
  'v2.GetBlob': 'ecr:GetDownloadUrlForLayer',
  'v2.DeleteBlob': 'ecr:BatchDeleteImage',
  'v2.GetManifest': 'ecr:BatchGetImage',
  'v2.HeadManifest': 'ecr:BatchGetImage',
  'v2.PutManifest': 'ecr:PutImage',
  'v2.DeleteManifest': 'ecr:BatchDeleteImage',
  'v2.ListTags': 'ecr:ListImages',
  'v2.ListReferrers': 'ecr:BatchGetImage',
  // Any key may list; the listing holds only the repositories it may pull from (CATALOG_FILTER_ACTION).
  'v2.Catalog': undefined,
  'v2.StartUpload': 'ecr:InitiateLayerUpload',
  'v2.UploadChunk': 'ecr:UploadLayerPart',
  'v2.CompleteUpload': 'ecr:CompleteLayerUpload',
  'v2.GetUpload': 'ecr:UploadLayerPart',
  'v2.CancelUpload': 'ecr:InitiateLayerUpload',
};

/** `/v2/_catalog` lists only the repositories the caller may pull from. */
export const CATALOG_FILTER_ACTION = 'ecr:BatchGetImage';

/** A cross-repository mount also reads the layer from the source repository. */
export const MOUNT_SOURCE_ACTION = 'ecr:GetDownloadUrlForLayer';

/** What a pull through a pull-through cache rule needs besides the pull action (as in ECR). */
export const IMPORT_UPSTREAM_ACTION = 'ecr:BatchImportUpstreamImage';

/** The /v2 operations that may pull through a pull-through cache rule. */
export const PULL_OPERATIONS: ReadonlySet<string> = new Set([
  'v2.GetManifest',
  'v2.HeadManifest',
  'v2.GetBlob',
  'v2.HeadBlob',
]);

export interface V2Permission {
  action: string;
  repository: string;
}

/** The permission a /v2 operation needs on `repository`; undefined for authentication only. */
export function v2PermissionFor(operation: string, repository: string): V2Permission | undefined {
  if (!(operation in actions)) return { action: 'ecr:*', repository: repository || ACCOUNT_WIDE };
  const action = actions[operation];
  if (!action) return undefined;
  return { action, repository: repository || ACCOUNT_WIDE };
}
