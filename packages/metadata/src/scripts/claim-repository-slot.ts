import { IMAGE_KEY_COUNT } from '../keys.js';

/**
 * claimRepositorySlot — step 1 of CreateRepository, on the repository's own slot
 * (`{repo:<name>}`): when no create has claimed the slot since the name was last deleted, empties
 * it (a link or image that raced a DeleteRepository, by a process that died before undoing it,
 * must not reappear in the namesake) and marks it claimed. When the mark is there, another
 * create got here first (and may already have stored content): nothing is cleared.
 *
 * KEYS[1..n-1] the repository's slot keys (layers, image keys, recorded pulls)   KEYS[n] its claim mark
 *
 * Returns 'CLAIMED' or 'TAKEN'. Step 2 registers the record (HSETNX, another slot); the mark is
 * removed with the rest of the slot by clearRepository.
 */
export const claimRepositorySlot = {
  numberOfKeys: 3 + IMAGE_KEY_COUNT,
  lua: `
local mark = KEYS[#KEYS]
if redis.call('EXISTS', mark) == 1 then return 'TAKEN' end
for i = 1, #KEYS - 1 do redis.call('DEL', KEYS[i]) end
redis.call('SET', mark, '1')
return 'CLAIMED'
`,
};
