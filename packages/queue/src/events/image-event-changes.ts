import type { DeletedImage, ImageChanges } from '@longshore/metadata';
import type { EventPublisher } from './event-publisher.js';
import { imageActionEvent, type ImageActionType } from './image-action-event.js';

/**
 * The image store's change listener that publishes ECR Image Action events: a PUSH per pushed
 * tag (or one untagged), a DELETE per deleted tag (or one for an untagged image). A publish that
 * fails is logged; the change it reports stands. A batch of deleted images (lifecycle expiry)
 * is published with one `publishAll`: its deliveries are queued in one `addBulk`.
 */
export function imageEventChanges(
  publisher: EventPublisher,
  where: { account: string; region: string },
  onError: (err: unknown) => void,
): ImageChanges {
  const publish = async (actionType: ImageActionType, repositoryName: string, digest: string, tags: string[]) => {
    try {
      for (const tag of tags.length > 0 ? tags : ['']) {
        await publisher.publish(imageActionEvent({ actionType, repositoryName, digest, tag }, where));
      }
    } catch (err) {
      onError(err);
    }
  };
  const deletedImages = async (repositoryName: string, images: DeletedImage[]) => {
    try {
      await publisher.publishAll(
        images.flatMap(({ digest, tags }) =>
          (tags.length > 0 ? tags : ['']).map((tag) =>
            imageActionEvent({ actionType: 'DELETE', repositoryName, digest, tag }, where),
          ),
        ),
      );
    } catch (err) {
      onError(err);
    }
  };
  return {
    deletedImages,
    pushed: (repositoryName, digest, tag) => publish('PUSH', repositoryName, digest, tag === '' ? [] : [tag]),
    deleted: (repositoryName, digest, tags) => publish('DELETE', repositoryName, digest, tags),
  };
}
