import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesystemDriver, type CompleteStep } from './filesystem-driver.js';
import type { StorageDriver } from './storage-driver.js';

/**
 * publishBytes: a small layer's verified bytes published in one go as one file at the blob's
 * address (its one part file renamed, or a file written from the bytes; fsynced, renamed, the
 * shard fsynced), the parts not published left for abortUpload; blobs of the directory layout
 * found at the address are taken as published.
 */
describe('filesystem publishBytes', () => {
  let rootDir: string;
  let driver: StorageDriver;

  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), 'longshore-publish-bytes-'));
    driver = createFilesystemDriver({ rootDir });
  });
  afterAll(async () => {
    await rm(rootDir, { recursive: true, force: true });
  });

  async function sessionWithParts(chunks: Buffer[]) {
    const session = await driver.createUpload(randomUUID());
    for (const [i, chunk] of chunks.entries()) await driver.writePart(session, i + 1, chunk);
    return session;
  }

  /** A blob as versions before single-file blobs published it: a directory of segment `1` and its index. */
  async function writeDirectoryBlob(location: string, content: Buffer): Promise<void> {
    const dir = join(rootDir, location);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '1'), content);
    const index = {
      digest: `sha256:${location.slice(-64)}`,
      size: content.length,
      segments: [{ name: '1', size: content.length }],
    };
    await writeFile(join(dir, 'index'), JSON.stringify(index));
  }

  async function read(location: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await driver.blobReader(location)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  it('publishes the bytes as one file at the digest’s address, waiting for `beforeVisible`', async () => {
    const chunks = [Buffer.from('small '.repeat(300)), Buffer.from('layer '.repeat(200))];
    const content = Buffer.concat(chunks);
    const session = await sessionWithParts(chunks);
    let release!: () => void;
    const recorded = new Promise<void>((resolve) => (release = resolve));
    const publishing = driver.publishBytes!(session, chunks, digestOf(content), recorded);
    const location = locationOf(content);
    // Written from memory beside the parts, durable, but not visible until the record is there.
    await expect
      .poll(() => readdir(join(rootDir, 'uploads', session.uploadId)).catch(() => []))
      .toEqual(['1', '2', 'blob']);
    await expect(driver.statBlob(location)).rejects.toThrow();
    release();
    expect(await publishing).toBe(location);
    expect((await stat(join(rootDir, location))).isFile()).toBe(true);
    expect((await read(location)).equals(content)).toBe(true);
    expect((await driver.statBlob(location)).size).toBe(content.length);
    // Two parts: copied, not moved; abortUpload removes them.
    expect(await readdir(join(rootDir, 'uploads', session.uploadId))).toEqual(['1', '2']);
    await driver.abortUpload(session);
    expect(await readdir(join(rootDir, 'uploads'))).not.toContain(session.uploadId);
  });

  it('publishes a layer of one part by renaming its part file: no copy, nothing left but the emptied session', async () => {
    const content = Buffer.from('one part '.repeat(400));
    const session = await sessionWithParts([content]);
    const partFile = await stat(join(rootDir, 'uploads', session.uploadId, '1'));
    const location = await driver.publishBytes!(session, [content], digestOf(content), undefined, 1);
    expect((await stat(join(rootDir, location))).ino).toBe(partFile.ino);
    expect((await read(location)).equals(content)).toBe(true);
    expect(await readdir(join(rootDir, 'uploads', session.uploadId))).toEqual([]);
    await driver.abortUpload(session);
    expect(await readdir(join(rootDir, 'uploads'))).not.toContain(session.uploadId);
  });

  it('writes the bytes anew when the part file is not exactly them', async () => {
    const content = Buffer.from('part with more bytes than the blob');
    const session = await sessionWithParts([content]);
    const blob = content.subarray(0, 10);
    const location = await driver.publishBytes!(session, [blob], digestOf(blob), undefined, 1);
    expect((await read(location)).equals(blob)).toBe(true);
    expect(await readdir(join(rootDir, 'uploads', session.uploadId))).toEqual(['1']);
    await driver.abortUpload(session);
    expect(await readdir(join(rootDir, 'uploads'))).not.toContain(session.uploadId);
  });

  it('answers the blob already published without writing, and a session that lost the race the winner', async () => {
    const content = Buffer.from('shared layer');
    const first = await sessionWithParts([content]);
    const second = await sessionWithParts([content]);
    const [a, b] = await Promise.all([
      driver.publishBytes!(first, [content], digestOf(content), undefined, 1),
      driver.publishBytes!(second, [content], digestOf(content), undefined, 1),
    ]);
    expect(a).toBe(b);
    expect((await read(a)).equals(content)).toBe(true);
    const third = await sessionWithParts([content]);
    expect(await driver.publishBytes!(third, [content], digestOf(content), undefined, 1)).toBe(a);
    expect(await readdir(join(rootDir, 'uploads', third.uploadId))).toEqual(['1']);
    for (const session of [first, second, third]) await driver.abortUpload(session);
    const left = await readdir(join(rootDir, 'uploads'));
    for (const session of [first, second, third]) expect(left).not.toContain(session.uploadId);
  });

  it('finds a blob of the directory layout at the address, published before or while it wrote its own', async () => {
    const content = Buffer.from('published by an earlier version '.repeat(20));
    const location = locationOf(content);
    await writeDirectoryBlob(location, content);
    const before = await sessionWithParts([content]);
    expect(await driver.publishBytes!(before, [content], digestOf(content), undefined, 1)).toBe(location);
    // Made between this run's check and its rename: the rename finds a directory there.
    const racing = Buffer.from('published meanwhile by a many-part completion '.repeat(20));
    const racingLocation = locationOf(racing);
    const during = await sessionWithParts([racing]);
    let release!: () => void;
    const recorded = new Promise<void>((resolve) => (release = resolve));
    const publishing = driver.publishBytes!(during, [racing], digestOf(racing), recorded, 1);
    // The call checked the address (before its first wait); the directory comes after that.
    await writeDirectoryBlob(racingLocation, racing);
    release();
    expect(await publishing).toBe(racingLocation);
    for (const [at, bytes] of [
      [location, content],
      [racingLocation, racing],
    ] as const) {
      expect((await stat(join(rootDir, at))).isDirectory()).toBe(true);
      expect((await read(at)).equals(bytes)).toBe(true);
    }
    for (const session of [before, during]) await driver.abortUpload(session);
  });

  it('publishes the empty blob as an empty file', async () => {
    const session = await driver.createUpload(randomUUID());
    const empty = digestOf(Buffer.alloc(0));
    const location = await driver.publishBytes!(session, [], empty);
    expect((await stat(join(rootDir, location))).size).toBe(0);
    expect((await read(location)).length).toBe(0);
    expect((await driver.statBlob(location)).size).toBe(0);
    await expect(driver.blobReader(location, { start: 0, end: 0 })).rejects.toMatchObject({
      name: 'RangeNotSatisfiableError',
    });
  });

  it.each([undefined, 1])('refuses a session that was aborted, recreating nothing (part %s)', async (part) => {
    const content = Buffer.from(`aborted layer ${part}`);
    const session = await sessionWithParts([content]);
    await driver.abortUpload(session);
    await expect(driver.publishBytes!(session, [content], digestOf(content), undefined, part)).rejects.toMatchObject({
      name: 'UploadSessionNotFoundError',
    });
    expect(await readdir(join(rootDir, 'uploads'))).not.toContain(session.uploadId);
  });

  describe.each(['index-written', 'published'] as const)('after a crash at step %s', (crashStep: CompleteStep) => {
    it.each([undefined, 1])('a fresh run (another process) publishes the same blob, whole (part %s)', async (part) => {
      let crashes = 0;
      const crashing = createFilesystemDriver({
        rootDir,
        completeStep: (step) => {
          if (step === crashStep && crashes++ === 0) throw new Error(`crash at ${step}`);
        },
      });
      const chunks = [Buffer.from(`${crashStep} ${part} `.repeat(500))];
      const content = Buffer.concat(chunks);
      const session = await sessionWithParts(chunks);
      await expect(crashing.publishBytes!(session, chunks, digestOf(content), undefined, part)).rejects.toThrow(
        /crash/,
      );
      const fresh = createFilesystemDriver({ rootDir });
      const location = await fresh.publishBytes!(session, chunks, digestOf(content), undefined, part);
      expect((await read(location)).equals(content)).toBe(true);
      await driver.abortUpload(session);
      expect(await readdir(join(rootDir, 'uploads'))).not.toContain(session.uploadId);
    });
  });
});

function locationOf(bytes: Uint8Array): string {
  const hex = digestOf(bytes).slice(7);
  return `blobs/sha256/${hex.slice(0, 2)}/${hex}`;
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
