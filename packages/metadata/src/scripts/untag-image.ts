import { IMAGE_KEY_COUNT } from '../keys.js';
import { imageTagsLua } from './image-tags-lua.js';

/**
 * untagImage — removes one tag; the image it named stays (untagged if it was its last tag).
 *
 * KEYS[1..11] as putImage (one repository's image keys)
 * ARGV[1] tag   ARGV[2] the digest the tag must name ('' for any)
 *
 * Returns {'UNTAGGED', digest}, {'NOT_FOUND'} or {'MISMATCH', digest}.
 */
export const untagImage = {
  numberOfKeys: IMAGE_KEY_COUNT,
  lua: `${imageTagsLua}
local digest = redis.call('HGET', KEYS[3], ARGV[1])
if not digest then return {'NOT_FOUND'} end
if ARGV[2] ~= '' and ARGV[2] ~= digest then return {'MISMATCH', digest} end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
removeImageTag(digest, ARGV[1])
return {'UNTAGGED', digest}
`,
};
