/**
 * linkLayer — makes a finalized layer part of its repository. Idempotent for the upload that
 * linked it (a re-run after a crash succeeds); any other upload of the same layer is told it exists.
 *
 * KEYS[1] repositories hash    KEYS[2] the repository's layers hash
 * ARGV[1] repositoryName   ARGV[2] layer digest  ARGV[3] link JSON   ARGV[4] uploadId
 *
 * Returns 'LINKED', 'EXISTS' or 'NO_REPOSITORY'.
 */
export const linkLayer = {
  numberOfKeys: 2,
  lua: `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 'NO_REPOSITORY' end
local current = redis.call('HGET', KEYS[2], ARGV[2])
if not current then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  return 'LINKED'
end
local ok, link = pcall(cjson.decode, current)
if ok and link['uploadId'] == ARGV[4] then return 'LINKED' end
return 'EXISTS'
`,
};
