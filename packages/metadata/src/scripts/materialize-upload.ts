/**
 * materializeUpload — makes the record of an upload started without one (an issued id: see
 * lazy-uploads.ts), with the fields initiate would have written, unless the upload has a record
 * already or ended without one (aborted: its tombstone). Sent just before the script that needs
 * the record, on the same connection (the same pipeline, so Redis writes and fsyncs both in one
 * turn); the API sends it only for an id whose tag it checked and whose time is within the
 * upload's life, so an expired or finished upload is never made again.
 *
 * KEYS[1] upload hash      KEYS[2] the upload's tombstone (both in the slot `{upload:<id>}`)
 * ARGV[1] ttl (s)          ARGV[2..] field, value pairs
 *
 * Returns 1 when it made the record, 0 when there was one or a tombstone.
 */
export const materializeUpload = {
  numberOfKeys: 2,
  lua: `
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`,
};
