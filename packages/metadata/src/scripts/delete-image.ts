import { IMAGE_KEY_COUNT } from '../keys.js';
import { imageTagsLua } from './image-tags-lua.js';
import { removeImageLua } from './remove-image-lua.js';

/**
 * deleteImage — removes an image (manifest) and every tag that names it.
 *
 * KEYS[1..11] as putImage (one repository's image keys)
 * ARGV[1] digest   ARGV[2] '1': refuse while an index in the repository lists the image
 *
 * Returns {'DELETED', the image's tags space-separated ('' for none)}, {'NOT_FOUND'} or
 * {'REFERENCED'}.
 */
export const deleteImage = {
  numberOfKeys: IMAGE_KEY_COUNT,
  lua: `${imageTagsLua}${removeImageLua}
local digest = ARGV[1]
local json = redis.call('HGET', KEYS[1], digest)
if not json then return {'NOT_FOUND'} end
if ARGV[2] == '1' and listedByAnIndex(digest) then return {'REFERENCED'} end
return {'DELETED', removeImage(digest, json)}
`,
};
