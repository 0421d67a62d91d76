import { IMAGE_KEY_COUNT } from '../keys.js';

/**
 * clearRepository — step 1 of DeleteRepository: empties one repository's slot (`{repo:<name>}`),
 * unless it holds something and the delete is not forced.
 *
 * KEYS[1] the repository's layers hash
 * KEYS[2..12] the repository's image keys (imageKeyList's order: images first; see keys.ts)
 * KEYS[13] the repository's recorded pull times (the images' `pulls` hash)
 * KEYS[14] the repository's claim mark (see claim-repository-slot.ts)
 * ARGV[1] '1' to force
 *
 * Returns 'CLEARED' or 'NOT_EMPTY'.
 *
 * Why this order is crash-safe (the repositories hash is another slot, so it cannot be in this
 * script): the contents go first, the record (forgetRepository) second. A crash in between leaves
 * a repository that is listed and empty — a complete state, not a half-deleted one — and a retry
 * of DeleteRepository finds it, clears nothing more and forgets it. The other order could leave
 * the contents of a forgotten repository behind to reappear in a namesake.
 */
export const clearRepository = {
  numberOfKeys: 3 + IMAGE_KEY_COUNT,
  lua: `
if ARGV[1] ~= '1' and (redis.call('HLEN', KEYS[1]) > 0 or redis.call('HLEN', KEYS[2]) > 0) then return 'NOT_EMPTY' end
for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end
return 'CLEARED'
`,
};
