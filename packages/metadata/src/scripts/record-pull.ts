/**
 * recordPull — records a manifest pull of an image, unless one was recorded less than the
 * interval before (so a hot image costs one write per interval, whatever its pull rate).
 *
 * KEYS[1] the repository's pulls hash (slot `{repo:<name>}`)
 * ARGV[1] image digest   ARGV[2] now (epoch ms)   ARGV[3] interval (ms)
 *
 * Returns 1 when the time was written, 0 when a recent one stands.
 */
export const recordPull = {
  numberOfKeys: 1,
  lua: `
local last = redis.call('HGET', KEYS[1], ARGV[1])
if last and tonumber(ARGV[2]) - tonumber(last) < tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`,
};
