/**
 * initiateUpload — creates an upload's record with its idle timeout, in one round trip (one HSET
 * of every field, not one per field).
 *
 * KEYS[1] upload hash      ARGV[1] ttl (s)       ARGV[2..] field, value pairs
 */
export const initiateUpload = {
  numberOfKeys: 1,
  lua: `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 'OK'
`,
};
