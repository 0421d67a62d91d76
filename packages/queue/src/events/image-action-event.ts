import type { PublishedEvent } from './event-publisher.js';

export type ImageActionType = 'PUSH' | 'DELETE';

export interface ImageAction {
  actionType: ImageActionType;
  repositoryName: string;
  digest: string;
  /** The tag pushed or deleted; '' for an untagged image. */
  tag: string;
}

/** A repository's ARN, as ECR names it in `resources`. */
export function repositoryArn(where: { account: string; region: string }, repositoryName: string): string {
  return `arn:aws:ecr:${where.region}:${where.account}:repository/${repositoryName}`;
}

/** ECR's "ECR Image Action" event: one per image push or delete, per tag. */
export function imageActionEvent(action: ImageAction, where: { account: string; region: string }): PublishedEvent {
  return {
    detailType: 'ECR Image Action',
    resources: [repositoryArn(where, action.repositoryName)],
    detail: {
      result: 'SUCCESS',
      'repository-name': action.repositoryName,
      'image-digest': action.digest,
      'action-type': action.actionType,
      'image-tag': action.tag,
    },
  };
}
