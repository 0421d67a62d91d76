/**
 * sweepBlob — the atomic re-check before a delete: when the digest still carries the collector's
 * mark `ARGV[2]` (no retainBlob since it was set), turns its index entry into a tombstone
 * (COLLECTING_PREFIX .. location) that every retainBlob refuses, and returns the location, whose
 * blob the collector then deletes before it forgets the entry (forgetBlob).
 *
 * KEYS[1] the digest's blob index entry   KEYS[2] the digest's mark (same slot)
 * ARGV[1] COLLECTING_PREFIX   ARGV[2] the mark the collector checked
 *
 * Returns the location to delete, or false (the blob was retained, or is gone: keep it).
 */
export const sweepBlob = {
  numberOfKeys: 2,
  lua: `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return false end
redis.call('DEL', KEYS[2])
local current = redis.call('GET', KEYS[1])
if not current or string.sub(current, 1, #ARGV[1]) == ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[1] .. current)
return current
`,
};
