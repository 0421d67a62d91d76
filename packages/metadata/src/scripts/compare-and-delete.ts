/**
 * compareAndDelete — deletes a STRING key only while it holds the value given: the collector
 * forgets a tombstone once the blob is deleted, or drops a mark it set, and nothing newer.
 *
 * KEYS[1] the key   ARGV[1] the value it must hold
 *
 * Returns 1 when deleted, 0 otherwise.
 */
export const compareAndDelete = {
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
};
