import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashStateFormat, LOST_HASH_STATE } from './digest.js';
import { defaultNativeSha256Path, loadNativeSha256 } from './digest.js';
import { createResumableSha256, HashStateLostError } from './digest.js';
import { createSha256Engines, defaultSha256Engines } from './digest.js';

const native = loadNativeSha256();
const withNative = createSha256Engines(native);
const wasmOnly = createSha256Engines(undefined);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function hasCompiler(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v c++ && command -v make && command -v python3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the native addon', () => {
  it('is built by `npm run build` wherever a compiler is at hand, and loads', () => {
    if (hasCompiler() && process.env.LONGSHORE_NATIVE_SHA256 !== '0')
      expect(existsSync(defaultNativeSha256Path())).toBe(true);
    expect(native !== undefined).toBe(existsSync(defaultNativeSha256Path()));
    expect(defaultSha256Engines().preferred).toBe(native ? 'native' : 'wasm');
  });

  it('is not loaded from a missing or broken file (the process then uses hash-wasm)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'native-sha256-'));
    const broken = path.join(dir, 'broken.node');
    await writeFile(broken, 'not a shared object');
    expect(loadNativeSha256(path.join(dir, 'missing.node'))).toBeUndefined();
    expect(loadNativeSha256(broken)).toBeUndefined();
    await rm(dir, { recursive: true });
  });
});

const engines = [
  { name: 'hash-wasm', engines: wasmOnly, format: 'other' },
  ...(native ? [{ name: 'native', engines: withNative, format: 'native' }] : []),
] as const;

describe.each(engines)('$name resumable SHA-256', ({ engines, format }) => {
  const data = randomBytes(3 * 65536 + 1234);
  const splits = [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 65536, 65536 + 63, 2 * 65536 + 1, data.length];

  it('matches node:crypto when the state is saved and restored at every split point', async () => {
    let state: Uint8Array | undefined;
    for (let i = 0; i + 1 < splits.length; i++) {
      const hasher = await engines.resume(state);
      hasher.update(data.subarray(splits[i], splits[i + 1]));
      state = hasher.save();
      expect(hashStateFormat(state)).toBe(format);
      expect(await engines.digestHex(state)).toBe(sha256(data.subarray(0, splits[i + 1])));
    }
    expect((await engines.resume(state)).digestHex()).toBe(sha256(data));
  });

  it('matches node:crypto for every length around a block boundary, through advance()', async () => {
    for (let length = 0; length <= 130; length++) {
      for (const cut of [0, Math.floor(length / 2), length]) {
        const first = await engines.advance(new Uint8Array(), data.subarray(0, cut));
        const second = await engines.advance(first, data.subarray(cut, length));
        expect(await engines.digestHex(second)).toBe(sha256(data.subarray(0, length)));
      }
    }
  });

  it('keeps concurrent one-shot advances apart', async () => {
    const parts = [randomBytes(10_000), randomBytes(20_000), randomBytes(1)];
    const states = await Promise.all(parts.map((part) => engines.advance(new Uint8Array(), part)));
    const digests = await Promise.all(states.map((state) => engines.digestHex(state)));
    expect(digests).toEqual(parts.map(sha256));
  });
});

describe('the native state', () => {
  beforeAll(() => {
    // Machines of this project's kind have g++, make and python3, so the build makes the addon.
    if (!native)
      throw new Error('the native SHA-256 addon did not load: install g++, make, python3; then npm run build');
  });

  it('is portable: 110 bytes tagged LSS2, and save(load(state)) gives the same bytes', async () => {
    const state = await withNative.advance(new Uint8Array(), randomBytes(1000));
    expect(state.byteLength).toBe(110);
    expect(Buffer.from(state.subarray(0, 4)).toString()).toBe('LSS2');
    expect(Buffer.from((await withNative.resume(state)).save()).equals(Buffer.from(state))).toBe(true);
  });

  it('is never misread by a process without the addon: the digest is lost, not wrong', async () => {
    const part = randomBytes(5000);
    const nativeState = await withNative.advance(new Uint8Array(), part);
    const elsewhere = await wasmOnly.resume(nativeState);
    expect(elsewhere.implementation).toBe('lost');
    elsewhere.update(randomBytes(10));
    const lostState = elsewhere.save();
    expect(hashStateFormat(lostState)).toBe('lost');
    expect(await wasmOnly.digestHex(nativeState)).toBeUndefined();
    // Back on a process with the addon, the lost state stays lost: completion re-hashes.
    const later = await withNative.advance(lostState, randomBytes(10));
    expect(Buffer.from(later).equals(Buffer.from(LOST_HASH_STATE))).toBe(true);
    expect(await withNative.digestHex(later)).toBeUndefined();
    await expect(createResumableSha256(nativeState, wasmOnly)).resolves.toMatchObject({ implementation: 'lost' });
    await expect(createResumableSha256(nativeState, wasmOnly).then((h) => h.digest())).rejects.toThrow(
      HashStateLostError,
    );
  });

  it('rejects a corrupt state as lost rather than continuing from it', async () => {
    const state = Buffer.from(await withNative.advance(new Uint8Array(), randomBytes(100)));
    state[45] = 99; // pending bytes beyond a block
    expect((await withNative.resume(state)).implementation).toBe('lost');
  });

  it('leaves a hash-wasm state (an upload begun before the upgrade) on hash-wasm, and right', async () => {
    const parts = [randomBytes(70_000), randomBytes(33)];
    const wasmState = await wasmOnly.advance(new Uint8Array(), parts[0]!);
    const continued = await withNative.resume(wasmState);
    expect(continued.implementation).toBe('wasm');
    continued.update(parts[1]!);
    expect(await withNative.digestHex(continued.save())).toBe(sha256(Buffer.concat(parts)));
  });
});

describe('states no implementation can read', () => {
  it('lose the digest instead of throwing', async () => {
    for (const state of [randomBytes(7), Buffer.from('LSS2'), randomBytes(110)]) {
      expect((await withNative.resume(state)).implementation).toBe('lost');
      expect(await wasmOnly.digestHex(state)).toBeUndefined();
    }
  });
});
