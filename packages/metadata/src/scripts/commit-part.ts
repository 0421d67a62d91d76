/**
 * commitPart — records a written part and releases the claim taken by claimPart. Only the live
 * claim commits: a writer that was taken over (a retry of its part), or whose upload stopped
 * taking parts (completed, aborted), is refused, and its part is never published.
 *
 * KEYS[1] upload hash      KEYS[2] upload parts list
 * ARGV[1] claim token      ARGV[2] offset        ARGV[3] length
 * ARGV[4] part record (JSON: offset, length, checksum, partNumber, receipt)
 * ARGV[5] hash state after this part (base64)    ARGV[6] now (ms)     ARGV[7] ttl (s)
 * ARGV[8] minimum size of a part that is not the last, when the upload has no policy of its own
 *
 * Returns {'OK', bytesReceived} or {'LOST_CLAIM', bytesReceived, status ('' when the upload is gone)}.
 *
 * `commitPartLua` is the same as a Lua function `commitPart(KEYS, ARGV)`, for commitLastPart.
 */
export const commitPartLua = `
local function commitPart(KEYS, ARGV)
  local u = redis.call('HMGET', KEYS[1], 'claimToken', 'bytesReceived', 'lastPartLength', 'status', 'minPartSize')
  if u[1] ~= ARGV[1] or u[4] ~= 'uploading' or tonumber(u[2]) ~= tonumber(ARGV[2]) then
    return {'LOST_CLAIM', u[2] or '0', u[4] or ''}
  end
  -- the previous last part stops being the last one: it must meet the upload's minimum size
  local minPart = tonumber(u[5] or ARGV[8])
  if u[3] and tonumber(u[3]) > 0 and tonumber(u[3]) < minPart then
    redis.call('HSET', KEYS[1], 'hasSmallPart', '1')
  end
  local received = string.format('%d', tonumber(u[2]) + tonumber(ARGV[3]))
  redis.call('RPUSH', KEYS[2], ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'partsReceived', 1)
  redis.call('HSET', KEYS[1], 'bytesReceived', received, 'lastPartLength', ARGV[3], 'hashState', ARGV[5], 'updatedAt', ARGV[6])
  redis.call('HDEL', KEYS[1], 'claimToken', 'claimUntil', 'claimPartNumber')
  redis.call('EXPIRE', KEYS[1], ARGV[7])
  redis.call('EXPIRE', KEYS[2], ARGV[7])
  return {'OK', received}
end
`;

export const commitPart = {
  numberOfKeys: 2,
  lua: `${commitPartLua}
return commitPart(KEYS, ARGV)
`,
};
