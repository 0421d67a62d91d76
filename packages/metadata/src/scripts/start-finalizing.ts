import { announceStatusLua } from './announce-status.js';

/**
 * startFinalizing — a finalize job takes up the upload (again, after a crash or retry).
 *
 * KEYS[1] upload hash      KEYS[2] its parts list      KEYS[3] its set of parts checked in the background
 * ARGV[1] now (ms)         ARGV[2] events channel
 * ARGV[3] the finalize job's id                  ARGV[4] a dead job it takes over from ('' for none)
 *
 * A job may carry many uploads (group commit), and an upload may be carried by more than one
 * job (a repeated completion adds a recovery job when the API that queued it may have died
 * before adding its batch). The first job to take a queued upload owns it (`finalizingJob`);
 * only the owner goes on with it, so an upload is never finalized by two jobs at once, and a
 * retry of the owner (after a crash) takes it up again. A job that BullMQ gave up on (failed
 * by its stall check) is dead: a recovery job naming it in ARGV[4] takes its uploads over.
 *
 * Returns {status} after the call: 'finalizing' when this job should go on, 'completed'/'failed'
 * when an earlier run already finished it, 'missing' when it is gone, 'elsewhere' when another
 * job owns its finalization. With 'completed'/'failed' comes the record (HGETALL); with
 * 'finalizing' the record, the committed parts (LRANGE) and the background checks (SMEMBERS):
 * everything finalization reads, in the same round trip.
 */
export const startFinalizing = {
  numberOfKeys: 3,
  lua: `${announceStatusLua}
local u = redis.call('HMGET', KEYS[1], 'status', 'finalizingJob')
local status = u[1]
if not status then return {'missing'} end
if status == 'completed' or status == 'failed' then return {status, redis.call('HGETALL', KEYS[1])} end
if status == 'uploading' then return {'uploading'} end
if status == 'finalizing' and u[2] and u[2] ~= ARGV[3] and u[2] ~= ARGV[4] then return {'elsewhere'} end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', 'finalizing', 'finalizingJob', ARGV[3], 'updatedAt', ARGV[1])
announceStatus(KEYS[1], ARGV[2])
return {'finalizing', redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('SMEMBERS', KEYS[3])}
`,
};
