/**
 * Lua helper shared by the scripts that change an upload's status: announces the change on the
 * upload's events channel with what a waiter needs to answer (UploadAnnouncement: the id, the
 * status, and a finished upload's digest, size or error), read with one HMGET. Not the whole
 * record: HGETALL, a table of every field and its JSON cost Redis about ten times as much per
 * announcement (three per push), and every API process receives every announcement. A waiter
 * that needs the whole record (a status long poll) reads it when woken.
 */
export const announceStatusLua = `
local function announceStatus(key, channel)
  local f = redis.call('HMGET', key, 'uploadId', 'status', 'layerDigest', 'layerSize', 'error')
  redis.call('PUBLISH', channel, cjson.encode({
    uploadId = f[1] or nil, status = f[2] or nil, layerDigest = f[3] or nil, layerSize = f[4] or nil, error = f[5] or nil
  }))
end
`;
