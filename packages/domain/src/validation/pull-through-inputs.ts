/**
 * The validated inputs of ECR's pull-through cache rule operations (field names are the model's;
 * a member is optional unless the model requires it).
 */

export type UpstreamRegistry =
  | 'ecr'
  | 'ecr-public'
  | 'quay'
  | 'k8s'
  | 'docker-hub'
  | 'github-container-registry'
  | 'azure-container-registry'
  | 'gitlab-container-registry'
  | 'chainguard';

export interface CreatePullThroughCacheRuleInput {
  ecrRepositoryPrefix: string;
  upstreamRegistryUrl: string;
  registryId?: string;
  upstreamRegistry?: UpstreamRegistry;
  credentialArn?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix?: string;
}

export interface DescribePullThroughCacheRulesInput {
  registryId?: string;
  ecrRepositoryPrefixes?: string[];
  nextToken?: string;
  maxResults?: number;
}

export interface UpdatePullThroughCacheRuleInput {
  registryId?: string;
  ecrRepositoryPrefix: string;
  credentialArn?: string;
  customRoleArn?: string;
}

export interface DeletePullThroughCacheRuleInput {
  ecrRepositoryPrefix: string;
  registryId?: string;
}

export interface ValidatePullThroughCacheRuleInput {
  ecrRepositoryPrefix: string;
  registryId?: string;
}
