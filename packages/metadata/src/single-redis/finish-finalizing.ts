import { announceStatusLua } from '../scripts/announce-status.js';

/**
 * finishFinalizing — everything a finalization writes once its blob is published, in one atomic
 * step: the blob's location on the upload, the digest's index entry claimed (or found) and
 * retained, the stored bytes counted, the layer linked into its repository and, when `settle`,
 * the upload's outcome recorded and announced. For a single Redis (or one with replicas) only:
 * its keys belong to four key families and so to several Redis Cluster slots, where the same
 * writes run as per-slot steps instead (retain, link, retain again, record: see
 * linkRetainedLayer). That is why it lives outside ./scripts, whose scripts each keep to one slot.
 *
 * Being atomic, it needs none of those steps' fences: a garbage collection's mark, read and sweep
 * cannot fall between the retain and the link, and the repository cannot be deleted between its
 * check and the link.
 *
 * KEYS[1] upload hash   KEYS[2] its parts list   KEYS[3] its checked-parts set
 * KEYS[4] the digest's blob index entry          KEYS[5] the collector's mark on the digest
 * KEYS[6] the repositories hash                  KEYS[7] the repository's layers hash
 * KEYS[8] the stored-blob-bytes counter
 * ARGV[1] COLLECTING_PREFIX   ARGV[2] layer digest   ARGV[3] the published blob's location
 * ARGV[4] layer size   ARGV[5] repository name   ARGV[6] link JSON   ARGV[7] upload id
 * ARGV[8] '1': settle (record 'completed' and announce it), '0': leave that to recordOutcome
 * ARGV[9] now (ms)   ARGV[10] status retention (s)   ARGV[11] events channel
 *
 * Returns {'COLLECTING'} (the collector is deleting the digest's blob: nothing written; retry),
 * {'NO_REPOSITORY', kept}, {'EXISTS', kept} (another upload linked the digest) or
 * {'LINKED', kept, status}: `kept` the location that stands for the digest (another upload's
 * when it was indexed first), `status` the upload's status after the call ('missing' when it
 * expired meanwhile; the first outcome recorded wins, as recordOutcome's does).
 */
export const finishFinalizing = {
  numberOfKeys: 8,
  lua: `${announceStatusLua}
local current = redis.call('GET', KEYS[4])
if current and string.sub(current, 1, #ARGV[1]) == ARGV[1] then return {'COLLECTING'} end
local status = redis.call('HGET', KEYS[1], 'status')
if status then redis.call('HSET', KEYS[1], 'blobLocation', ARGV[3]) end
redis.call('DEL', KEYS[5])
local kept = current
if not current then
  redis.call('SET', KEYS[4], ARGV[3])
  kept = ARGV[3]
  if tonumber(ARGV[4]) > 0 then redis.call('INCRBY', KEYS[8], ARGV[4]) end
end
if redis.call('HEXISTS', KEYS[6], ARGV[5]) == 0 then return {'NO_REPOSITORY', kept} end
local link = redis.call('HGET', KEYS[7], ARGV[2])
if link then
  local ok, decoded = pcall(cjson.decode, link)
  if not ok or decoded['uploadId'] ~= ARGV[7] then return {'EXISTS', kept} end
else
  redis.call('HSET', KEYS[7], ARGV[2], ARGV[6])
end
if not status then return {'LINKED', kept, 'missing'} end
if ARGV[8] ~= '1' or status == 'completed' or status == 'failed' then return {'LINKED', kept, status} end
redis.call('HSET', KEYS[1], 'status', 'completed', 'updatedAt', ARGV[9], 'completedAt', ARGV[9],
  'layerDigest', ARGV[2], 'layerSize', ARGV[4])
redis.call('HDEL', KEYS[1], 'hashState', 'claimToken', 'claimUntil', 'claimPartNumber')
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('EXPIRE', KEYS[1], ARGV[10])
announceStatus(KEYS[1], ARGV[11])
return {'LINKED', kept, 'completed'}
`,
};
