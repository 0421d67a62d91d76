/**
 * initiateInRepository — initiateUpload's record, written only if its repository exists, whose
 * stored record (JSON) it answers: a `/v2` POST's read of the repository and its upload's record
 * in one round trip instead of two. For a single Redis (or one with replicas) only: the
 * repositories hash and the upload's hash are in different Redis Cluster slots, where the
 * repository is read first, as before (UploadStore.initiateInRepository answers `unsupported`).
 *
 * KEYS[1] upload hash   KEYS[2] the repositories hash
 * ARGV[1] ttl (s)       ARGV[2] repository name       ARGV[3..] field, value pairs
 *
 * Returns the repository's record (JSON), or nil (no such repository: nothing written).
 */
export const initiateInRepository = {
  numberOfKeys: 2,
  lua: `
local repository = redis.call('HGET', KEYS[2], ARGV[2])
if not repository then return false end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return repository
`,
};
