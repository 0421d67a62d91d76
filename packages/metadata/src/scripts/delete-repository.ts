/**
 * deleteRepository — removes a repository and, with force, its layer links.
 *
 * KEYS[1] repositories hash    KEYS[2] the repository's layers hash
 * ARGV[1] repositoryName   ARGV[2] '1' to force
 *
 * Returns {'DELETED', repository JSON}, {'NOT_FOUND'} or {'NOT_EMPTY'}.
 */
export const deleteRepository = {
  numberOfKeys: 2,
  lua: `
local repo = redis.call('HGET', KEYS[1], ARGV[1])
if not repo then return {'NOT_FOUND'} end
if ARGV[2] ~= '1' and redis.call('HLEN', KEYS[2]) > 0 then return {'NOT_EMPTY'} end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return {'DELETED', repo}
`,
};
