/**
 * linkLayer — makes a finalized layer part of its repository. Idempotent for the upload that
 * linked it (a re-run after a crash succeeds); any other upload of the same layer is told it exists.
 *
 * KEYS[1] the repository's layers hash (slot `{repo:<name>}`)
 * ARGV[1] layer digest     ARGV[2] link JSON     ARGV[3] uploadId
 *
 * Returns 'LINKED' or 'EXISTS'.
 *
 * Whether the repository exists is read from the repositories hash, another slot, so
 * LayerStore.link checks it before this script and again after it. Why that order is safe: the
 * blob is already stored and indexed when this runs, so a link never names a missing blob. A
 * repository deleted meanwhile is seen by the second check, which drops the repository's
 * leftovers and fails the link (REPOSITORY_NOT_FOUND); should the process die between the
 * link and that check, the leftover is in the slot of a repository nobody lists (the garbage
 * collector and every read go through the repositories hash), and RepositoryStore.create clears
 * such leftovers before a namesake is created. A retry of the job re-runs both steps.
 */
export const linkLayer = {
  numberOfKeys: 1,
  lua: `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 'LINKED'
end
local ok, link = pcall(cjson.decode, current)
if ok and link['uploadId'] == ARGV[3] then return 'LINKED' end
return 'EXISTS'
`,
};
