import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNativeBase64, nativeBase64Decode } from './native-base64.js';

const built = existsSync(new URL('../dist/native/longshore_base64.node', import.meta.url).pathname);
const CANONICAL = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

describe('the native base64 decoder', () => {
  it('is loaded when it was built, and a missing or broken addon is none', async () => {
    expect(nativeBase64Decode() !== undefined).toBe(built);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'native-base64-'));
    const broken = path.join(dir, 'broken.node');
    await writeFile(broken, 'not an addon');
    expect(loadNativeBase64(path.join(dir, 'missing.node'))).toBeUndefined();
    expect(loadNativeBase64(broken)).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  });

  // The property runs wherever the addon was built (CI installs the compiler: .ci/run).
  const decode = nativeBase64Decode() ?? (() => -1);

  it('gives the bytes Node gives for canonical base64, at any offset, any length (vector and table paths)', () => {
    fc.assert(
      fc.property(fc.nat(700), fc.nat(40), (size, offset) => {
        const bytes = randomBytes(size);
        const text = Buffer.from(bytes.toString('base64'), 'latin1');
        const out = Buffer.alloc(offset + size + 8, 0xaa);
        const written = decode(text, out, offset);
        if (!built) return;
        expect(written).toBe(size);
        expect(out.subarray(offset, offset + size).equals(bytes)).toBe(true);
        // Nothing before the offset is touched; past the end only the vector path's spill may be.
        expect(out.subarray(0, offset).every((b) => b === 0xaa)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what is not plain canonical base64, and agrees with Node on what it takes', () => {
    const odd = fc.constantFrom('-', '_', '=', ' ', '\n', '\\', '"', '\u00ff', '\u0000', '.', '*');
    fc.assert(
      fc.property(fc.nat(300), fc.array(fc.tuple(fc.nat(), odd), { maxLength: 3 }), (size, changes) => {
        const chars = [...randomBytes(size).toString('base64')];
        for (const [at, char] of changes) if (chars.length > 0) chars[at % chars.length] = char;
        const text = chars.join('');
        const out = Buffer.alloc(size + 8);
        const written = decode(Buffer.from(text, 'latin1'), out, 0);
        if (!built) return;
        const canonical = text.length % 4 === 0 && CANONICAL.test(text);
        expect(written >= 0).toBe(canonical);
        if (canonical) {
          const expected = Buffer.from(text, 'base64');
          expect(written).toBe(expected.length);
          expect(out.subarray(0, written).equals(expected)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a length that is not a multiple of 4, and what does not fit', () => {
    if (!built) return;
    expect(decode(Buffer.from('QUJ'), Buffer.alloc(8), 0)).toBe(-1);
    expect(decode(Buffer.from('QUJD'), Buffer.alloc(2), 0)).toBe(-1);
    expect(decode(Buffer.from('QUJD'), Buffer.alloc(5), 2)).toBe(3);
    expect(decode(Buffer.from(''), Buffer.alloc(0), 0)).toBe(0);
    // A 10 MiB part decoded into exactly its room (the vector path stops short of the end).
    const part = randomBytes(10 * 1024 * 1024 + 1);
    const out = Buffer.alloc(part.length);
    expect(decode(Buffer.from(part.toString('base64'), 'latin1'), out, 0)).toBe(part.length);
    expect(out.equals(part)).toBe(true);
  });
});
