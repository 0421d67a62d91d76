import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootMark, bootOfMark, currentBootId, writtenInBoot } from './machine-boot.js';

describe('machine boot marks', () => {
  it('reads the kernel’s id of this boot', () => {
    expect(currentBootId()).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  });

  it('marks a part with a boot and tells a mark from a checksum', () => {
    const mark = bootMark('aaaaaaaa-0000-4000-8000-000000000001');
    expect(bootOfMark(mark)).toBe('aaaaaaaa-0000-4000-8000-000000000001');
    expect(bootOfMark('crc32c:0a0b0c0d')).toBeUndefined();
    expect(writtenInBoot(mark, 'aaaaaaaa-0000-4000-8000-000000000001')).toBe(true);
    expect(writtenInBoot(mark, 'bbbbbbbb-0000-4000-8000-000000000002')).toBe(false);
    expect(writtenInBoot(mark, undefined)).toBe(false);
    expect(writtenInBoot('crc32c:0a0b0c0d', 'aaaaaaaa-0000-4000-8000-000000000001')).toBe(false);
  });
});
