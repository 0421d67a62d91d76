/**
 * initiateUpload — creates an upload's record with its idle timeout, in one round trip.
 *
 * KEYS[1] upload hash      ARGV[1] ttl (s)       ARGV[2..] field, value pairs
 */
export const initiateUpload = {
  numberOfKeys: 1,
  lua: `
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 'OK'
`,
};
