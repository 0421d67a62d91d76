import { announceStatusLua } from './announce-status.js';

/**
 * beginCompletion — the cheap checks of CompleteLayerUpload and the move to 'queued', atomically,
 * so a racing part upload or a second completion cannot slip in between.
 *
 * KEYS[1] upload hash (slot `{upload:<id>}`)
 * ARGV[1] repositoryName   ARGV[2] registryId    ARGV[3] now (ms)     ARGV[4] job id
 * ARGV[5] layerDigests (JSON array)              ARGV[6] callback URL ('' for none)
 * ARGV[7] events channel   ARGV[8] a requested digest the repository already has ('' for none)
 *
 * The repository's existence (repositories hash) and its layer links (`{repo:<name>}`) live in
 * other slots, so UploadStore.beginCompletion reads them (both in one round trip) just before
 * this script, or takes them from a caller that read them with the upload's record, and passes the
 * finding in (REPOSITORY_NOT_FOUND is answered before the script runs; LAYER_EXISTS here, after
 * the upload's own checks, so a retried completion still joins the one that began). Why that
 * order is safe: the reads write nothing, so a crash after them loses nothing. A layer linked or a
 * repository deleted between the reads and this script is the race any two completions always
 * had: the worker's linkLayer settles it (LayerAlreadyExists / RepositoryNotFound on the upload).
 *
 * A part still in flight does not hold the completion up: the completion takes the parts
 * committed so far and fences the claim (it can no longer commit), as if the part had come after
 * the completion. So a completion racing its last part is answered as if the race went one way
 * or the other, never with an error of its own.
 *
 * Returns {'QUEUED'} or {'ALREADY', status} (a completion already began: join it) or
 * {code}: UPLOAD_NOT_FOUND, EMPTY (no parts, and the upload's policy does
 * not allow an empty layer), PART_TOO_SMALL, LAYER_EXISTS.
 *
 * `beginCompletionLua` is the same as a Lua function `beginCompletion(KEYS, ARGV)` (announceStatusLua
 * must come before it), for commitLastPart, which runs it right after a part's commit.
 */
export const beginCompletionLua = `
local function beginCompletion(KEYS, ARGV)
  local u = redis.call('HMGET', KEYS[1], 'repositoryName', 'registryId', 'status', 'partsReceived', 'hasSmallPart', 'allowEmpty')
  if not u[1] or u[1] ~= ARGV[1] or u[2] ~= ARGV[2] then return {'UPLOAD_NOT_FOUND'} end
  if u[3] ~= 'uploading' then return {'ALREADY', u[3]} end
  if tonumber(u[4]) == 0 and u[6] ~= '1' then return {'EMPTY'} end
  if u[5] == '1' then return {'PART_TOO_SMALL'} end
  if ARGV[8] ~= '' then return {'LAYER_EXISTS', ARGV[8]} end
  redis.call('HDEL', KEYS[1], 'claimToken', 'claimUntil', 'claimPartNumber')
  redis.call('HSET', KEYS[1], 'status', 'queued', 'jobId', ARGV[4], 'layerDigests', ARGV[5], 'queuedAt', ARGV[3], 'updatedAt', ARGV[3])
  if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'callbackUrl', ARGV[6]) end
  redis.call('PERSIST', KEYS[1])
  announceStatus(KEYS[1], ARGV[7])
  return {'QUEUED'}
end
`;

export const beginCompletion = {
  numberOfKeys: 1,
  lua: `${announceStatusLua}${beginCompletionLua}
return beginCompletion(KEYS, ARGV)
`,
};
