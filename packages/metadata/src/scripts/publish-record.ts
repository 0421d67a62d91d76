/**
 * Lua helper shared by the scripts that change an upload's status: publishes the record (without
 * the hash state) on the upload's events channel, so waiters need no second read.
 */
export const publishRecordLua = `
local function publishRecord(key, channel)
  local flat = redis.call('HGETALL', key)
  local record = {}
  for i = 1, #flat, 2 do record[flat[i]] = flat[i + 1] end
  record['hashState'] = nil
  record['storageSession'] = nil
  redis.call('PUBLISH', channel, cjson.encode(record))
end
`;
