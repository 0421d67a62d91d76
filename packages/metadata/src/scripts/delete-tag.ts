import { IMAGE_KEY_COUNT } from '../keys.js';
import { imageTagsLua } from './image-tags-lua.js';
import { removeImageLua } from './remove-image-lua.js';

/**
 * deleteTag — ECR's BatchDeleteImage by tag: removes the tag and, when it was its image's last
 * tag, the image too ("when you remove the last tag from an image, the image is deleted"). An
 * image an index of the repository lists is not deleted, and then neither is its last tag.
 *
 * KEYS[1..11] as putImage (one repository's image keys)
 * ARGV[1] tag
 *
 * Returns {'UNTAGGED', digest} (other tags remain), {'DELETED', digest}, {'NOT_FOUND'} or
 * {'REFERENCED', digest}.
 */
export const deleteTag = {
  numberOfKeys: IMAGE_KEY_COUNT,
  lua: `${imageTagsLua}${removeImageLua}
local tag = ARGV[1]
local digest = redis.call('HGET', KEYS[3], tag)
if not digest then return {'NOT_FOUND'} end
local tags = redis.call('HGET', KEYS[5], digest) or ''
local others = 0
for t in string.gmatch(tags, '%S+') do
  if t ~= tag then others = others + 1 end
end
if others > 0 then
  redis.call('HDEL', KEYS[3], tag)
  redis.call('ZREM', KEYS[4], tag)
  removeImageTag(digest, tag)
  return {'UNTAGGED', digest}
end
if listedByAnIndex(digest) then return {'REFERENCED', digest} end
local json = redis.call('HGET', KEYS[1], digest)
if json then removeImage(digest, json) else
  redis.call('HDEL', KEYS[3], tag)
  redis.call('ZREM', KEYS[4], tag)
  removeImageTag(digest, tag)
end
return {'DELETED', digest}
`,
};
