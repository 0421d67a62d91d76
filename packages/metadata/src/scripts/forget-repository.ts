/**
 * forgetRepository — step 2 of DeleteRepository (after clearRepository emptied its slot): removes
 * the repository's record and returns it.
 *
 * KEYS[1] repositories hash    ARGV[1] repositoryName
 *
 * Returns the repository JSON, or false when it is gone already (a concurrent delete).
 */
export const forgetRepository = {
  numberOfKeys: 1,
  lua: `
local repo = redis.call('HGET', KEYS[1], ARGV[1])
if not repo then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
return repo
`,
};
