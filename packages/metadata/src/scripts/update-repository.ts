/**
 * updateRepository — replaces a repository's stored JSON, only while the repository exists.
 *
 * KEYS[1] repositories hash
 * ARGV[1] repositoryName   ARGV[2] repository JSON
 *
 * Returns 'UPDATED' or 'NOT_FOUND'.
 */
export const updateRepository = {
  numberOfKeys: 1,
  lua: `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 'NOT_FOUND' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'UPDATED'
`,
};
