import { describe, expect, it } from 'vitest';
import { sameSlotKey } from './keys.js';

/** Redis Cluster's slot of a key (CRC16/XMODEM of its hash tag or whole name, mod 16384). */
function slot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const hashed = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('sameSlotKey', () => {
  it('wraps an untagged key in a hash tag, so both hash the same name', () => {
    const key = 'ls:blob:sha256:ab';
    expect(sameSlotKey(key, 'gc')).toBe('{ls:blob:sha256:ab}:gc');
    expect(slot(sameSlotKey(key, 'gc'))).toBe(slot(key));
  });

  it('appends to a key that already has a hash tag, keeping its slot', () => {
    for (const key of ['{ls}:blob:sha256:ab', 'a{b}c']) {
      expect(slot(sameSlotKey(key, 'gc'))).toBe(slot(key));
    }
    expect(sameSlotKey('{ls}:blob:d', 'gc')).toBe('{ls}:blob:d:gc');
  });
});
