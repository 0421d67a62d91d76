import { IMAGE_KEY_COUNT } from '../keys.js';
import { imageTagsLua } from './image-tags-lua.js';

/**
 * putImage — stores a manifest and points a tag at it, in one step: a reader never sees a tag
 * without its image, or an index without its children.
 *
 * KEYS[1] images hash   KEYS[2] manifests hash   KEYS[3] tags hash   KEYS[4] tag-names zset
 * KEYS[5] image-tags hash   KEYS[6] parents hash   KEYS[7] referrers zset   KEYS[8] tag-entries zset
 * KEYS[9] tagged zset   KEYS[10] untagged zset   KEYS[11] push-order zset  (one repository's:
 * imageKeyList's order)
 * ARGV[1] digest   ARGV[2] image record JSON   ARGV[3] manifest bytes   ARGV[4] tag ('' for none)
 * ARGV[5] '1': an unchanged push (same digest, and same tag or none) is refused (ECR PutImage)
 * ARGV[6] '1': the tag may not be moved to another image (immutable)
 * ARGV[7] subject digest ('' for none)   ARGV[8..] child manifest digests (indexes)
 *
 * Returns {'PUT', '1' if the image is new else '0', previous digest of the tag or ''},
 * {'MISSING_CHILDREN', digest...}, {'EXISTS'} or {'TAG_IMMUTABLE', current digest}.
 */
export const putImage = {
  numberOfKeys: IMAGE_KEY_COUNT,
  lua: `${imageTagsLua}
local digest, tag = ARGV[1], ARGV[4]
local missing = {}
for i = 8, #ARGV do
  if ARGV[i] ~= digest and redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then missing[#missing + 1] = ARGV[i] end
end
if #missing > 0 then
  table.insert(missing, 1, 'MISSING_CHILDREN')
  return missing
end
local exists = redis.call('HEXISTS', KEYS[1], digest) == 1
local current = false
if tag ~= '' then current = redis.call('HGET', KEYS[3], tag) end
local unchanged = exists and (tag == '' or current == digest)
if unchanged and ARGV[5] == '1' then
  if current == digest and ARGV[6] == '1' then return {'TAG_IMMUTABLE', current} end
  return {'EXISTS'}
end
if current and current ~= digest and ARGV[6] == '1' then return {'TAG_IMMUTABLE', current} end
if not exists then
  redis.call('HSET', KEYS[1], digest, ARGV[2])
  redis.call('HSET', KEYS[2], digest, ARGV[3])
  for i = 8, #ARGV do redis.call('HINCRBY', KEYS[6], ARGV[i], 1) end
  if ARGV[7] ~= '' then redis.call('ZADD', KEYS[7], 0, ARGV[7] .. ' ' .. digest) end
  addListedImage(digest, cjson.decode(ARGV[2])['pushedAt'])
end
if tag ~= '' and current ~= digest then
  if current then removeImageTag(current, tag) end
  redis.call('HSET', KEYS[3], tag, digest)
  redis.call('ZADD', KEYS[4], 0, tag)
  addImageTag(digest, tag)
end
return {'PUT', exists and '0' or '1', current or ''}
`,
};
