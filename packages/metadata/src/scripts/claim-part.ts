/**
 * claimPart — reserves an upload for one part write and gives the write a part number of its
 * own. Only a live claim can commit (commitPart checks its token), so at most one part lands at
 * each offset; and since every claim writes its own part, a claim may be taken over at once.
 *
 * A claim for the next byte takes over a claim still held for that byte: it is a retry of the
 * same part (the client gave up on the first request, or the process serving it died), and the
 * first writer's bytes are in its own part, which can then never commit.
 *
 * KEYS[1] upload hash (slot `{upload:<id>}`)
 * ARGV[1] repositoryName   ARGV[2] registryId    ARGV[3] partFirstByte
 * ARGV[4] partLastByte ('' when the length is not known in advance: a streamed body)
 * ARGV[5] now (ms)         ARGV[6] lock (ms)     ARGV[7] claim token    ARGV[8] max parts
 * ARGV[9] max layer bytes  ARGV[10] length of the part's bytes ('' when not known)
 * ARGV[11] largest part when the upload has no policy of its own
 * ARGV[12] largest part number (claims per upload)
 *
 * Whether the repository exists is read (repositories hash, another slot) in the same round trip
 * as this script, and a claim on a repository found missing is released at once (a caller that
 * read it already passes its finding). The read writes nothing, so a crash around it loses
 * nothing, and a repository deleted around the claim is the same as one deleted just after it:
 * the completion's own check and the worker's linkLayer refuse the upload, so nothing of it
 * becomes visible.
 *
 * The part-size limit is the upload's own (`maxPartSize`, fixed at initiate), so every API
 * process enforces the same.
 *
 * Returns {'OK', hashState, maxPartSize, partNumber, storageSession},
 * {'PART_TOO_LARGE', bytesReceived, maxPartSize} or {code, bytesReceived}:
 * UPLOAD_NOT_FOUND, NOT_UPLOADING, BAD_LENGTH, OUT_OF_ORDER, TOO_MANY_PARTS, TOO_LARGE.
 */
export const claimPart = {
  numberOfKeys: 1,
  lua: `
local u = redis.call('HMGET', KEYS[1], 'repositoryName', 'registryId', 'status', 'bytesReceived', 'partsReceived', 'nextPartNumber', 'hashState', 'maxPartSize', 'storageSession')
if not u[1] or u[1] ~= ARGV[1] or u[2] ~= ARGV[2] then return {'UPLOAD_NOT_FOUND', '0'} end
local received = u[4]
if u[3] ~= 'uploading' then return {'NOT_UPLOADING', received} end
local maxPart = tonumber(u[8] or ARGV[11])
local first = tonumber(ARGV[3])
if ARGV[10] ~= '' then
  local length = tonumber(ARGV[10])
  if tonumber(ARGV[4]) - first + 1 ~= length or length == 0 then return {'BAD_LENGTH', received} end
  if length > maxPart then return {'PART_TOO_LARGE', received, string.format('%d', maxPart)} end
end
if first ~= tonumber(received) then return {'OUT_OF_ORDER', received} end
local partNumber = tonumber(u[6] or '0') + 1
if tonumber(u[5]) + 1 > tonumber(ARGV[8]) or partNumber > tonumber(ARGV[12]) then return {'TOO_MANY_PARTS', received} end
local lastByte = first
if ARGV[10] ~= '' then lastByte = tonumber(ARGV[4]) end
if lastByte + 1 > tonumber(ARGV[9]) then return {'TOO_LARGE', received} end
redis.call('HSET', KEYS[1], 'nextPartNumber', partNumber, 'claimToken', ARGV[7], 'claimPartNumber', partNumber,
  'claimUntil', string.format('%d', tonumber(ARGV[5]) + tonumber(ARGV[6])))
return {'OK', u[7] or '', string.format('%d', maxPart), string.format('%d', partNumber), u[9] or ''}
`,
};
