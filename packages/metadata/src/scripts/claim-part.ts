/**
 * claimPart — reserves an upload for one part write, so two concurrent parts cannot both land.
 *
 * KEYS[1] upload hash      KEYS[2] repositories hash
 * ARGV[1] repositoryName   ARGV[2] registryId    ARGV[3] partFirstByte  ARGV[4] partLastByte
 * ARGV[5] now (ms)         ARGV[6] lock (ms)     ARGV[7] claim token    ARGV[8] max parts
 * ARGV[9] max layer bytes  ARGV[10] length of the part's bytes
 *
 * Returns {'OK', hashState} or {code, bytesReceived}: REPOSITORY_NOT_FOUND, UPLOAD_NOT_FOUND,
 * NOT_UPLOADING, BAD_LENGTH, BUSY, OUT_OF_ORDER, TOO_MANY_PARTS, TOO_LARGE.
 */
export const claimPart = {
  numberOfKeys: 2,
  lua: `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {'REPOSITORY_NOT_FOUND', '0'} end
local u = redis.call('HMGET', KEYS[1], 'repositoryName', 'registryId', 'status', 'bytesReceived', 'partsReceived', 'claimUntil', 'hashState')
if not u[1] or u[1] ~= ARGV[1] or u[2] ~= ARGV[2] then return {'UPLOAD_NOT_FOUND', '0'} end
local received = u[4]
if u[3] ~= 'uploading' then return {'NOT_UPLOADING', received} end
if tonumber(ARGV[4]) - tonumber(ARGV[3]) + 1 ~= tonumber(ARGV[10]) or tonumber(ARGV[10]) == 0 then return {'BAD_LENGTH', received} end
if u[6] and tonumber(u[6]) > tonumber(ARGV[5]) then return {'BUSY', received} end
if tonumber(ARGV[3]) ~= tonumber(received) then return {'OUT_OF_ORDER', received} end
if tonumber(u[5]) + 1 > tonumber(ARGV[8]) then return {'TOO_MANY_PARTS', received} end
if tonumber(ARGV[4]) + 1 > tonumber(ARGV[9]) then return {'TOO_LARGE', received} end
redis.call('HSET', KEYS[1], 'claimToken', ARGV[7], 'claimUntil', string.format('%d', tonumber(ARGV[5]) + tonumber(ARGV[6])))
return {'OK', u[7] or ''}
`,
};
