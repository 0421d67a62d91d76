/**
 * markBlob — the collector's mark on a digest it may delete: set unless one is, and only while
 * the digest's blob is indexed (not being collected). Any retainBlob clears it.
 *
 * KEYS[1] the digest's blob index entry   KEYS[2] the digest's mark (same slot)
 * ARGV[1] COLLECTING_PREFIX   ARGV[2] the new mark ("<epoch ms>:<random>")
 *
 * Returns the mark that stands (the new one or an older one), or false when nothing is indexed.
 */
export const markBlob = {
  numberOfKeys: 2,
  lua: `
local current = redis.call('GET', KEYS[1])
if not current or string.sub(current, 1, #ARGV[1]) == ARGV[1] then return false end
redis.call('SET', KEYS[2], ARGV[2], 'NX')
return redis.call('GET', KEYS[2])
`,
};
