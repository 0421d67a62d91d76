import { commitPartLua } from '../scripts/commit-part.js';
import { commitUnclaimedLua } from '../scripts/commit-unclaimed-part.js';

/**
 * commitUnclaimedPartInRepository — commitUnclaimedPart, only if the upload's repository exists
 * (read in the same script): a part written without a claim and without reading the upload's
 * record first (from the upload as the writing process left it) is committed in one round trip,
 * with the check partStart would have read. For a single Redis (or one with replicas) only: the
 * repositories hash and the upload's hash are in different Redis Cluster slots.
 *
 * KEYS[1] upload hash      KEYS[2] upload parts list     KEYS[3] the repositories hash
 * ARGV as commitUnclaimedPart's (ARGV[9] the repository's name)
 *
 * Returns {'NO_REPOSITORY'} (nothing written), or commitUnclaimedPart's answer.
 */
export const commitUnclaimedPartInRepository = {
  numberOfKeys: 3,
  lua: `${commitPartLua}${commitUnclaimedLua}
if redis.call('HEXISTS', KEYS[3], ARGV[9]) == 0 then return {'NO_REPOSITORY'} end
return commitUnclaimed(KEYS, ARGV)
`,
};
