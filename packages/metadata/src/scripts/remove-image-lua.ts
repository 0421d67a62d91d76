/**
 * Lua helper shared by the scripts that delete an image: removes the image (record, bytes, every
 * tag naming it, its listing entries, its index-child counts and its referrers entry) from
 * KEYS[1..11] (imageKeyList's order; needs imageTagsLua's pushOrderMember before it). Returns
 * the image's tags, space-separated ('' for none).
 */
export const removeImageLua = `
local function removeImage(digest, json)
  local tags = redis.call('HGET', KEYS[5], digest) or ''
  for t in string.gmatch(tags, '%S+') do
    redis.call('HDEL', KEYS[3], t)
    redis.call('ZREM', KEYS[4], t)
    redis.call('ZREM', KEYS[8], digest .. ' ' .. t)
  end
  redis.call('HDEL', KEYS[1], digest)
  redis.call('HDEL', KEYS[2], digest)
  redis.call('HDEL', KEYS[5], digest)
  redis.call('ZREM', KEYS[9], digest)
  redis.call('ZREM', KEYS[10], digest)
  local record = cjson.decode(json)
  if type(record['pushedAt']) == 'number' then
    redis.call('ZREM', KEYS[11], pushOrderMember(digest, record['pushedAt']))
  end
  if type(record['children']) == 'table' then
    for _, child in ipairs(record['children']) do
      if redis.call('HINCRBY', KEYS[6], child, -1) <= 0 then redis.call('HDEL', KEYS[6], child) end
    end
  end
  if type(record['subject']) == 'string' then redis.call('ZREM', KEYS[7], record['subject'] .. ' ' .. digest) end
  return tags
end

local function listedByAnIndex(digest)
  return tonumber(redis.call('HGET', KEYS[6], digest) or '0') > 0
end
`;
