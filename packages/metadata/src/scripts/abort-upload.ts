/**
 * abortUpload — ends an upload that is still taking parts (an OCI `DELETE` of an upload): its
 * record and part records go at once, so a later part or completion hears that it does not
 * exist, and a part in flight can no longer commit. The caller then removes its bytes.
 *
 * KEYS[1] upload hash      KEYS[2] upload parts list    KEYS[3] verified parts set
 * ARGV[1] repositoryName   ARGV[2] registryId
 *
 * Returns {'ABORTED', storage session ('' if none)} or {'UPLOAD_NOT_FOUND'} (missing, another
 * repository's, or no longer taking parts: a completion owns it).
 */
export const abortUpload = {
  numberOfKeys: 3,
  lua: `
local u = redis.call('HMGET', KEYS[1], 'repositoryName', 'registryId', 'status', 'storageSession')
if not u[1] or u[1] ~= ARGV[1] or u[2] ~= ARGV[2] or u[3] ~= 'uploading' then return {'UPLOAD_NOT_FOUND'} end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return {'ABORTED', u[4] or ''}
`,
};
