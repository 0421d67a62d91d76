/**
 * deleteImage — removes an image (manifest) and every tag that names it.
 *
 * KEYS[1..7] as putImage (one repository's image keys)
 * ARGV[1] digest   ARGV[2] '1': refuse while an index in the repository lists the image
 *
 * Returns {'DELETED', the image's tags space-separated ('' for none)}, {'NOT_FOUND'} or
 * {'REFERENCED'}.
 */
export const deleteImage = {
  numberOfKeys: 7,
  lua: `
local digest = ARGV[1]
local json = redis.call('HGET', KEYS[1], digest)
if not json then return {'NOT_FOUND'} end
if ARGV[2] == '1' and tonumber(redis.call('HGET', KEYS[6], digest) or '0') > 0 then return {'REFERENCED'} end
local tags = redis.call('HGET', KEYS[5], digest) or ''
for t in string.gmatch(tags, '%S+') do
  redis.call('HDEL', KEYS[3], t)
  redis.call('ZREM', KEYS[4], t)
end
redis.call('HDEL', KEYS[1], digest)
redis.call('HDEL', KEYS[2], digest)
redis.call('HDEL', KEYS[5], digest)
local record = cjson.decode(json)
if type(record['children']) == 'table' then
  for _, child in ipairs(record['children']) do
    if redis.call('HINCRBY', KEYS[6], child, -1) <= 0 then redis.call('HDEL', KEYS[6], child) end
  end
end
if type(record['subject']) == 'string' then redis.call('ZREM', KEYS[7], record['subject'] .. ' ' .. digest) end
return {'DELETED', tags}
`,
};
