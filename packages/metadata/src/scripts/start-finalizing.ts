import { publishRecordLua } from './publish-record.js';

/**
 * startFinalizing — a worker takes up the upload (again, after a crash or retry).
 *
 * KEYS[1] upload hash      ARGV[1] now (ms)      ARGV[2] events channel
 *
 * Returns the upload's status after the call: 'finalizing' when the worker should go on,
 * 'completed'/'failed' when an earlier run already finished it, 'missing' when it is gone.
 */
export const startFinalizing = {
  numberOfKeys: 1,
  lua: `${publishRecordLua}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'completed' or status == 'failed' then return status end
if status == 'uploading' then return 'uploading' end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', 'finalizing', 'updatedAt', ARGV[1])
publishRecord(KEYS[1], ARGV[2])
return 'finalizing'
`,
};
