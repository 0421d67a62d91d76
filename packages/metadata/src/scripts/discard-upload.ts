import { announceStatusLua } from './announce-status.js';

/**
 * discardUpload — ends an upload that can never complete (its completion was refused for a
 * reason no further part can change, e.g. the layer already exists): it becomes 'failed' with
 * that error, kept for the retention period like any outcome, so a retried completion hears the
 * same answer; its part records go, and no part can land after it, so its bytes can be deleted.
 *
 * KEYS[1] upload hash      KEYS[2] upload parts list    KEYS[3] verified parts set
 * ARGV[1] now (ms)         ARGV[2] retention (s) ARGV[3] events channel   ARGV[4] error record (JSON)
 *
 * A part in flight is fenced: it can no longer commit.
 *
 * Returns 'DISCARDED', or why not: 'MISSING', or the status when the upload
 * is no longer 'uploading' (another completion began meanwhile: it owns the bytes now).
 */
export const discardUpload = {
  numberOfKeys: 3,
  lua: `${announceStatusLua}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'MISSING' end
if status ~= 'uploading' then return status end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[4], 'updatedAt', ARGV[1], 'completedAt', ARGV[1])
redis.call('HDEL', KEYS[1], 'hashState', 'claimToken', 'claimUntil', 'claimPartNumber')
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('EXPIRE', KEYS[1], ARGV[2])
announceStatus(KEYS[1], ARGV[3])
return 'DISCARDED'
`,
};
