/**
 * retainBlob — a reference to a blob is about to be made (a finalization, a mount): clears the
 * collector's mark on the digest, so a collection that marked it earlier keeps it, and answers
 * where the blob is. With a location given, records it when none is (the first one wins).
 *
 * KEYS[1] the digest's blob index entry (STRING: location, or COLLECTING_PREFIX .. location)
 * KEYS[2] the collector's mark on the digest (STRING; same slot as KEYS[1])
 * ARGV[1] COLLECTING_PREFIX   ARGV[2] a location to record when none is, or '' to only look
 *
 * Returns {'COLLECTING'} (the collector is deleting the blob: retry later), {'FOUND', location},
 * {'CLAIMED', location} (the location given was recorded now) or {'ABSENT'} (no blob of the
 * digest, and none recorded).
 */
export const retainBlob = {
  numberOfKeys: 2,
  lua: `
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, #ARGV[1]) == ARGV[1] then return {'COLLECTING'} end
redis.call('DEL', KEYS[2])
if current then return {'FOUND', current} end
if ARGV[2] == '' then return {'ABSENT'} end
redis.call('SET', KEYS[1], ARGV[2])
return {'CLAIMED', ARGV[2]}
`,
};
