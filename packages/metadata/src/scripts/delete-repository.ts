/**
 * deleteRepository — removes a repository and, with force, its layer links and images.
 *
 * KEYS[1] repositories hash    KEYS[2] the repository's layers hash
 * KEYS[3..9] the repository's image keys (images, manifests, tags, tag-names, image-tags,
 * parents, referrers; see image-keys.ts)
 * ARGV[1] repositoryName   ARGV[2] '1' to force
 *
 * Returns {'DELETED', repository JSON}, {'NOT_FOUND'} or {'NOT_EMPTY'}.
 */
export const deleteRepository = {
  numberOfKeys: 9,
  lua: `
local repo = redis.call('HGET', KEYS[1], ARGV[1])
if not repo then return {'NOT_FOUND'} end
if ARGV[2] ~= '1' and (redis.call('HLEN', KEYS[2]) > 0 or redis.call('HLEN', KEYS[3]) > 0) then return {'NOT_EMPTY'} end
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 2, 9 do redis.call('DEL', KEYS[i]) end
return {'DELETED', repo}
`,
};
