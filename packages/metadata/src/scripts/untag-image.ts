import { imageTagsLua } from './image-tags-lua.js';

/**
 * untagImage — removes one tag; the image it named stays (untagged if it was its last tag).
 *
 * KEYS[1] tags hash   KEYS[2] tag-names zset   KEYS[3] image-tags hash  (one repository's)
 * ARGV[1] tag   ARGV[2] the digest the tag must name ('' for any)
 *
 * Returns {'UNTAGGED', digest}, {'NOT_FOUND'} or {'MISMATCH', digest}.
 */
export const untagImage = {
  numberOfKeys: 3,
  lua: `${imageTagsLua}
local digest = redis.call('HGET', KEYS[1], ARGV[1])
if not digest then return {'NOT_FOUND'} end
if ARGV[2] ~= '' and ARGV[2] ~= digest then return {'MISMATCH', digest} end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
removeImageTag(KEYS[3], digest, ARGV[1])
return {'UNTAGGED', digest}
`,
};
