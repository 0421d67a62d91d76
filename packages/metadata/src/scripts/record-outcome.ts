import { announceStatusLua } from './announce-status.js';

/**
 * recordOutcome — the upload's final status, kept for the retention period; its part list goes.
 * Announced on the events channel in the same step, so no waiter can miss it between the two.
 *
 * KEYS[1] upload hash      KEYS[2] upload parts list    KEYS[3] verified parts set
 * ARGV[1] status ('completed' | 'failed')        ARGV[2] now (ms)     ARGV[3] retention (s)
 * ARGV[4] events channel   ARGV[5..] field, value pairs to set
 *
 * Returns the status now stored: the first outcome recorded wins, so a re-run cannot flip it.
 */
export const recordOutcome = {
  numberOfKeys: 3,
  lua: `${announceStatusLua}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'completed' or status == 'failed' then return status end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updatedAt', ARGV[2], 'completedAt', ARGV[2])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HDEL', KEYS[1], 'hashState', 'claimToken', 'claimUntil', 'claimPartNumber')
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('EXPIRE', KEYS[1], ARGV[3])
announceStatus(KEYS[1], ARGV[4])
return ARGV[1]
`,
};
