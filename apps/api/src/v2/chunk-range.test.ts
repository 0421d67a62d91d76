import { SizeInvalidError } from '@longshore/domain';
import { describe, expect, it } from 'vitest';
import { declaredLength, parseChunkRange, progressRange } from './chunk-range.js';

describe('chunk ranges', () => {
  it('reads the spec form and the HTTP form', () => {
    expect(parseChunkRange('0-1023')).toEqual({ first: 0, last: 1023 });
    expect(parseChunkRange('bytes 1024-2047/*')).toEqual({ first: 1024, last: 2047 });
    expect(parseChunkRange('bytes 5-9/10')).toEqual({ first: 5, last: 9 });
    expect(parseChunkRange(undefined)).toBeUndefined();
  });

  it('refuses malformed and backwards ranges', () => {
    // `bytes=` is the Range request syntax, not Content-Range's; a total must hold the range.
    for (const header of ['', 'abc', '5-', '-5', '10-5', 'bytes 1-2/x', 'bytes=0-9', 'bytes=5-9/10', 'bytes 0-9/5']) {
      expect(() => parseChunkRange(header), header).toThrow(SizeInvalidError);
    }
  });

  it('reads Content-Length strictly', () => {
    expect(declaredLength('42')).toBe(42);
    expect(declaredLength(undefined)).toBeUndefined();
    expect(() => declaredLength('0x10')).toThrow(SizeInvalidError);
  });

  it('answers progress as distribution does', () => {
    expect(progressRange(0)).toBe('0-0');
    expect(progressRange(1)).toBe('0-0');
    expect(progressRange(1024)).toBe('0-1023');
  });
});
