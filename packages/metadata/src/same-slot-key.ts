/**
 * A key that Redis Cluster places in the same hash slot as `key`, so one script may use both.
 * When `key` has a hash tag (`{…}` with something inside), the slot is the tag's, and appending
 * keeps it; otherwise the slot is the whole key's, and wrapping it in a tag keeps that.
 */
export function sameSlotKey(key: string, suffix: string): string {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tagged = open >= 0 && close > open + 1;
  return tagged ? `${key}:${suffix}` : `{${key}}:${suffix}`;
}
