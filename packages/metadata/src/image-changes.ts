/**
 * Told of every change an image store makes, after it is stored (image events are published
 * from here, whichever door or job made the change). A listener never fails the change: it
 * handles its own errors.
 */
export interface ImageChanges {
  /** A manifest was stored, or a tag now names it: `tag` is '' for an untagged push. */
  pushed(repositoryName: string, digest: string, tag: string): Promise<void>;
  /** An image was deleted with all its tags (none: it was untagged), or just one tag was removed. */
  deleted(repositoryName: string, digest: string, tags: string[]): Promise<void>;
  /** Many images were deleted at once with all their tags (a lifecycle expiry's batch): told in one call. */
  deletedImages(repositoryName: string, images: DeletedImage[]): Promise<void>;
}

/** An image deleted with its tags (none: it was untagged). */
export interface DeletedImage {
  digest: string;
  tags: string[];
}

export const noImageChanges: ImageChanges = {
  pushed: async () => undefined,
  deleted: async () => undefined,
  deletedImages: async () => undefined,
};
