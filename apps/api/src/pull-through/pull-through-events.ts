import type { PullThroughRule } from './pull-through-rule.js';

/** One image brought in from an upstream (ECR's "ECR Pull Through Cache Action" event). */
export interface PullThroughAction {
  rule: PullThroughRule;
  repositoryName: string;
  upstreamRepository: string;
  imageDigest: string;
  imageTag?: string;
}

/** Where pull-through cache actions go: the image-events publisher when one is configured. */
export interface PullThroughEvents {
  pulledThrough(action: PullThroughAction): void;
}

/** No image-events publisher: actions are only logged by the cache. */
export const noPullThroughEvents: PullThroughEvents = { pulledThrough: () => undefined };

/**
 * The EventBridge shape of ECR's pull-through cache event (detail-type "ECR Pull Through Cache
 * Action"), as the image-events publisher sends it.
 */
export function pullThroughEventDetail(action: PullThroughAction, registryId: string) {
  return {
    'sync-status': 'SUCCESS',
    'ecr-repository-prefix': action.rule.ecrRepositoryPrefix,
    'repository-name': action.repositoryName,
    'upstream-registry-url': action.rule.upstreamRegistryUrl,
    'upstream-repository-name': action.upstreamRepository,
    'image-digest': action.imageDigest,
    ...(action.imageTag !== undefined ? { 'image-tag': action.imageTag } : {}),
    'registry-id': registryId,
  };
}
