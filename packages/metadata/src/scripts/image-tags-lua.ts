/**
 * Lua helpers shared by the image scripts, which all take one repository's image keys in
 * imageKeyList's order (KEYS[1..11], see keys.ts). An image's tags are kept as one
 * space-separated string in the image-tags hash (KEYS[5]); the listing structures follow every
 * change: "<digest> <tag>" entries (KEYS[8]), the tagged (KEYS[9]) and untagged (KEYS[10])
 * digests, and the push order (KEYS[11]).
 */
export const imageTagsLua = `
local function pushOrderMember(digest, pushedAt)
  return string.format('%016d', 1e15 - pushedAt) .. ' ' .. digest
end

local function addListedImage(digest, pushedAt)
  redis.call('ZADD', KEYS[11], 0, pushOrderMember(digest, pushedAt))
  if not redis.call('HGET', KEYS[5], digest) then redis.call('ZADD', KEYS[10], 0, digest) end
end

local function addImageTag(digest, tag)
  local current = redis.call('HGET', KEYS[5], digest)
  redis.call('ZADD', KEYS[8], 0, digest .. ' ' .. tag)
  if not current or current == '' then
    redis.call('HSET', KEYS[5], digest, tag)
    redis.call('ZREM', KEYS[10], digest)
    redis.call('ZADD', KEYS[9], 0, digest)
    return
  end
  for t in string.gmatch(current, '%S+') do
    if t == tag then return end
  end
  redis.call('HSET', KEYS[5], digest, current .. ' ' .. tag)
end

local function removeImageTag(digest, tag)
  local current = redis.call('HGET', KEYS[5], digest)
  if not current then return end
  redis.call('ZREM', KEYS[8], digest .. ' ' .. tag)
  local kept = {}
  for t in string.gmatch(current, '%S+') do
    if t ~= tag then kept[#kept + 1] = t end
  end
  if #kept > 0 then
    redis.call('HSET', KEYS[5], digest, table.concat(kept, ' '))
    return
  end
  redis.call('HDEL', KEYS[5], digest)
  redis.call('ZREM', KEYS[9], digest)
  if redis.call('HEXISTS', KEYS[1], digest) == 1 then redis.call('ZADD', KEYS[10], 0, digest) end
end
`;
