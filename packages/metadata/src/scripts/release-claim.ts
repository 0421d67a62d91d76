/**
 * releaseClaim — gives the upload back after a part write failed, so the client can retry at once.
 *
 * KEYS[1] upload hash      ARGV[1] claim token
 */
export const releaseClaim = {
  numberOfKeys: 1,
  lua: `
if redis.call('HGET', KEYS[1], 'claimToken') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'claimToken', 'claimUntil', 'claimPartNumber')
end
return 'OK'
`,
};
