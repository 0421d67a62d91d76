import { beginCompletionLua } from './begin-completion.js';
import { commitPartLua } from './commit-part.js';
import { announceStatusLua } from './announce-status.js';

/**
 * commitLastPart — commitPart, then at once beginCompletion, in one atomic script: the last part
 * of a request that carries both (an OCI monolithic PUT, the closing PUT's last chunk) is
 * committed and its upload queued in one round trip (and one AOF fsync) instead of two. Each step
 * is the very script it is on its own, so every refusal stays the same: a part that lost its claim
 * is not committed and the completion does not begin; a completion refused after the commit leaves
 * the part committed, as two calls in a row would.
 *
 * KEYS[1] upload hash      KEYS[2] upload parts list (both in the slot `{upload:<id>}`)
 * ARGV[1..8]  commitPart's ARGV
 * ARGV[9..16] beginCompletion's ARGV
 *
 * Returns commitPart's {'LOST_CLAIM', bytesReceived, status}, or {'OK', bytesReceived, …} followed
 * by beginCompletion's answer ({'QUEUED'}, {'ALREADY', status}, {code[, detail]}).
 */
export const commitLastPart = {
  numberOfKeys: 2,
  lua: `${announceStatusLua}${commitPartLua}${beginCompletionLua}
local committed = commitPart(KEYS, {unpack(ARGV, 1, 8)})
if committed[1] ~= 'OK' then return committed end
local begun = beginCompletion(KEYS, {unpack(ARGV, 9, 16)})
return {'OK', committed[2], begun[1], begun[2]}
`,
};
