import { repositoryArn, type EventPublisher } from '@longshore/queue';
import type { PullThroughRule } from './pull-through-rule.js';

/** One image brought in from an upstream (ECR's "ECR Pull Through Cache Action" event). */
export interface PullThroughAction {
  rule: PullThroughRule;
  repositoryName: string;
  upstreamRepository: string;
  imageDigest: string;
  imageTag?: string;
}

/** Where pull-through cache actions go: the image-events publisher (EVENTS_WEBHOOK_URL). */
export interface PullThroughEvents {
  pulledThrough(action: PullThroughAction): void;
}

/** No publisher: actions are not announced. */
export const noPullThroughEvents: PullThroughEvents = { pulledThrough: () => undefined };

/**
 * Announces each image brought in from an upstream through the image-events publisher, as ECR
 * sends it to EventBridge: detail-type "ECR Pull Through Cache Action", the repository's ARN in
 * `resources`. A failure to queue the event is logged (`onError`); the pull never waits on it.
 */
export function publishedPullThroughEvents(
  publisher: Pick<EventPublisher, 'publish'>,
  where: { account: string; region: string },
  onError: (err: unknown) => void,
): PullThroughEvents {
  return {
    pulledThrough(action) {
      publisher
        .publish({
          detailType: 'ECR Pull Through Cache Action',
          resources: [repositoryArn(where, action.repositoryName)],
          detail: pullThroughEventDetail(action),
        })
        .catch(onError);
    },
  };
}

/** The `detail` of ECR's pull-through cache event. */
export function pullThroughEventDetail(action: PullThroughAction) {
  return {
    'sync-status': 'SUCCESS',
    'ecr-repository-prefix': action.rule.ecrRepositoryPrefix,
    'repository-name': action.repositoryName,
    'upstream-registry-url': action.rule.upstreamRegistryUrl,
    'upstream-repository-name': action.upstreamRepository,
    'image-digest': action.imageDigest,
    ...(action.imageTag !== undefined ? { 'image-tag': action.imageTag } : {}),
  };
}
