/**
 * Lua helpers shared by the image scripts: an image's tags are kept as one space-separated
 * string in the image-tags hash (KEYS[5]).
 */
export const imageTagsLua = `
local function addImageTag(key, digest, tag)
  local current = redis.call('HGET', key, digest)
  if not current or current == '' then
    redis.call('HSET', key, digest, tag)
    return
  end
  for t in string.gmatch(current, '%S+') do
    if t == tag then return end
  end
  redis.call('HSET', key, digest, current .. ' ' .. tag)
end

local function removeImageTag(key, digest, tag)
  local current = redis.call('HGET', key, digest)
  if not current then return end
  local kept = {}
  for t in string.gmatch(current, '%S+') do
    if t ~= tag then kept[#kept + 1] = t end
  end
  if #kept == 0 then redis.call('HDEL', key, digest)
  else redis.call('HSET', key, digest, table.concat(kept, ' ')) end
end
`;
