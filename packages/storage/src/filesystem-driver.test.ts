import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStorageDriverConformance } from './conformance.js';
import { InvalidPathError } from './errors.js';
import { createFilesystemDriver } from './filesystem-driver.js';
import type { LegacyStorageDriver as StorageDriver } from './legacy-storage-driver.js';

describeStorageDriverConformance('filesystem', async () => {
  const rootDir = await mkdtemp(join(tmpdir(), 'longshore-storage-'));
  return { driver: createFilesystemDriver({ rootDir }), teardown: () => rm(rootDir, { recursive: true, force: true }) };
});

describe('createFilesystemDriver', () => {
  let rootDir: string;
  let driver: StorageDriver;

  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), 'longshore-storage-'));
    driver = createFilesystemDriver({ rootDir });
  });
  afterAll(async () => {
    await rm(rootDir, { recursive: true, force: true });
  });
  const localPath = (path: string): string => {
    const file = driver.localPath(path);
    if (file === undefined) throw new Error('the filesystem driver always has a local path');
    return file;
  };

  it('never resolves a path outside rootDir', async () => {
    const escapee = `escape-${process.pid}-${Date.now()}`;
    for (const hostile of [
      '..',
      `../${escapee}`,
      `a/../../${escapee}`,
      `/tmp/${escapee}`,
      `..\\${escapee}`,
      `a/%2e%2e/x`,
    ]) {
      expect(() => driver.localPath(hostile), hostile).toThrow(InvalidPathError);
      await expect(driver.writeAt(hostile, 0, Buffer.from('x')), hostile).rejects.toBeInstanceOf(InvalidPathError);
    }
    await expect(access(join(rootDir, '..', escapee))).rejects.toMatchObject({ code: 'ENOENT' });
    for (const valid of ['a', 'blobs/sha256/ab/abcdef/data', 'x..y/z.-_']) {
      expect(localPath(valid).startsWith(rootDir + sep), valid).toBe(true);
    }
  });

  it('localPath is the absolute path of the file inside rootDir', async () => {
    await driver.writeAt('local/a/data', 0, Buffer.from('bytes'));
    const file = localPath('local/a/data');
    expect(isAbsolute(file)).toBe(true);
    expect(file).toBe(join(rootDir, 'local', 'a', 'data'));
    expect((await readFile(file)).toString()).toBe('bytes');
  });

  it('putContent leaves no temp files behind', async () => {
    for (let round = 0; round < 5; round += 1) await driver.putContent('temps/manifest', Buffer.from(`v${round}`));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => driver.putContent('temps/manifest', Buffer.from(`concurrent ${i}`))),
    );
    expect(await readdir(join(rootDir, 'temps'))).toEqual(['manifest']);
  });

  it('putContent removes its temp file when publishing fails', async () => {
    await mkdir(join(rootDir, 'failing', 'target', 'child'), { recursive: true });
    await expect(driver.putContent('failing/target', Buffer.from('x'))).rejects.toThrow();
    expect(await readdir(join(rootDir, 'failing'))).toEqual(['target']);
  });

  it('list leaves out the temp files of an in-flight putContent', async () => {
    await driver.putContent('inflight/manifest', Buffer.from('x'));
    await writeFile(join(rootDir, 'inflight', '.manifest.tmp-0123456789abcdef'), 'partial');
    expect(await driver.list('inflight')).toEqual(['manifest']);
  });
});
