import { beginCompletionLua } from './begin-completion.js';
import { commitPartLua } from './commit-part.js';
import { announceStatusLua } from './announce-status.js';

/**
 * commitUnclaimedPart — commits a part written without a claim (a small part on a driver with
 * local part files, written after a plain read of the upload's record): the part's bytes are
 * already in the file of part number `nextPartNumber + 1` as read, created exclusively, and
 * hashed from the record's hash state. The commit happens only if the upload is still exactly as
 * it was read: it belongs to the repository, still takes parts, has received the same bytes and
 * handed out no part number since (every claim and every commit of a part takes one, so the hash
 * state is the one read too), and no claim is live. It then takes the part number, as a claim
 * would, and commits as commitPart does (the very same function), so a writer claiming later gets
 * the next number, and a claimed writer of the same bytes can no longer commit.
 *
 * Anything else is refused with nothing written ({'LOST', bytesReceived, status}): the writer
 * removes its file (its own: created exclusively under a number no commit took) and goes the
 * claimed way, whose answers are the refusals a part has always had.
 *
 * KEYS[1] upload hash      KEYS[2] upload parts list (both in the slot `{upload:<id>}`)
 * ARGV[1..8]  commitPart's ARGV (ARGV[1] a fresh token, standing for the claim this part never took)
 * ARGV[9] repositoryName   ARGV[10] registryId   ARGV[11] the part number written (nextPartNumber + 1 as read)
 *
 * Returns commitPart's {'OK', bytesReceived} or {'LOST', bytesReceived, status ('' when gone)}.
 *
 * `commitUnclaimedLua` is the same as a Lua function `commitUnclaimed(KEYS, ARGV)`
 * (commitPartLua must come before it).
 */
export const commitUnclaimedLua = `
local function commitUnclaimed(KEYS, ARGV)
  local u = redis.call('HMGET', KEYS[1], 'repositoryName', 'registryId', 'status', 'bytesReceived', 'nextPartNumber', 'claimToken', 'claimUntil')
  if not u[1] or u[1] ~= ARGV[9] or u[2] ~= ARGV[10] then return {'LOST', u[4] or '0', ''} end
  if u[3] ~= 'uploading' or tonumber(u[4]) ~= tonumber(ARGV[2]) or tonumber(u[5] or '0') + 1 ~= tonumber(ARGV[11]) then
    return {'LOST', u[4], u[3]}
  end
  if u[6] and tonumber(u[7] or '0') > tonumber(ARGV[6]) then return {'LOST', u[4], u[3]} end
  redis.call('HSET', KEYS[1], 'nextPartNumber', ARGV[11], 'claimToken', ARGV[1])
  return commitPart(KEYS, ARGV)
end
`;

export const commitUnclaimedPart = {
  numberOfKeys: 2,
  lua: `${commitPartLua}${commitUnclaimedLua}
return commitUnclaimed(KEYS, ARGV)
`,
};

/**
 * commitUnclaimedLastPart — commitUnclaimedPart, then at once beginCompletion, in one atomic
 * script (as commitLastPart is for a claimed part): an OCI monolithic PUT of a small layer is
 * committed and queued in one round trip after a read, with no claim.
 *
 * KEYS as commitUnclaimedPart
 * ARGV[1..11]  commitUnclaimedPart's ARGV
 * ARGV[12..19] beginCompletion's ARGV
 *
 * Returns {'LOST', bytesReceived, status}, or {'OK', bytesReceived, …} followed by
 * beginCompletion's answer ({'QUEUED'}, {'ALREADY', status}, {code[, detail]}).
 */
export const commitUnclaimedLastPart = {
  numberOfKeys: 2,
  lua: `${announceStatusLua}${commitPartLua}${commitUnclaimedLua}${beginCompletionLua}
local committed = commitUnclaimed(KEYS, {unpack(ARGV, 1, 11)})
if committed[1] ~= 'OK' then return committed end
local begun = beginCompletion(KEYS, {unpack(ARGV, 12, 19)})
return {'OK', committed[2], begun[1], begun[2]}
`,
};
