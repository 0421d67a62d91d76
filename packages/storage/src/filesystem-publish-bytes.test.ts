import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesystemDriver, type CompleteStep } from './filesystem-driver.js';
import type { StorageDriver } from './storage-driver.js';

/**
 * publishBytes: a small layer's verified bytes published in one go (segment `1` and the index,
 * fsynced together, one rename), the session's part files left for abortUpload.
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

  async function read(location: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await driver.blobReader(location)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  it('publishes the bytes as one blob at the digest’s address, waiting for `beforeVisible`', async () => {
    const chunks = [Buffer.from('small '.repeat(300)), Buffer.from('layer '.repeat(200))];
    const content = Buffer.concat(chunks);
    const session = await sessionWithParts(chunks);
    let release!: () => void;
    const recorded = new Promise<void>((resolve) => (release = resolve));
    const publishing = driver.publishBytes!(session, chunks, digestOf(content), recorded);
    const location = `blobs/sha256/${digestOf(content).slice(7, 9)}/${digestOf(content).slice(7)}`;
    // Staged and durable, but not visible until the record is there.
    await expect
      .poll(() => readdir(join(rootDir, 'uploads', session.uploadId, 'publish')).catch(() => []))
      .toEqual(['1', 'index']);
    await expect(driver.statBlob(location)).rejects.toThrow();
    release();
    expect(await publishing).toBe(location);
    expect(await readdir(join(rootDir, location))).toEqual(['1', 'index']);
    expect((await read(location)).equals(content)).toBe(true);
    expect((await driver.statBlob(location)).size).toBe(content.length);
    // The parts were copied, not moved: a re-run could read them; abortUpload removes them.
    expect(await readdir(join(rootDir, 'uploads', session.uploadId, 'parts'))).toEqual(['1', '2']);
    await driver.abortUpload(session);
    expect(await readdir(join(rootDir, 'uploads'))).not.toContain(session.uploadId);
  });

  it('answers the blob already published without writing, and a session that lost the race the winner', async () => {
    const content = Buffer.from('shared layer');
    const first = await sessionWithParts([content]);
    const second = await sessionWithParts([content]);
    const [a, b] = await Promise.all([
      driver.publishBytes!(first, [content], digestOf(content)),
      driver.publishBytes!(second, [content], digestOf(content)),
    ]);
    expect(a).toBe(b);
    expect((await read(a)).equals(content)).toBe(true);
    const third = await sessionWithParts([content]);
    expect(await driver.publishBytes!(third, [content], digestOf(content))).toBe(a);
    expect(await readdir(join(rootDir, 'uploads', third.uploadId))).toEqual(['parts']);
    for (const session of [first, second, third]) await driver.abortUpload(session);
    const left = await readdir(join(rootDir, 'uploads'));
    for (const session of [first, second, third]) expect(left).not.toContain(session.uploadId);
  });

  it('publishes the empty blob with no segment', async () => {
    const session = await driver.createUpload(randomUUID());
    const empty = digestOf(Buffer.alloc(0));
    const location = await driver.publishBytes!(session, [], empty);
    expect(await readdir(join(rootDir, location))).toEqual(['index']);
    expect((await read(location)).length).toBe(0);
  });

  it('refuses a session that was aborted, recreating nothing', async () => {
    const content = Buffer.from('aborted layer');
    const session = await sessionWithParts([content]);
    await driver.abortUpload(session);
    await expect(driver.publishBytes!(session, [content], digestOf(content))).rejects.toMatchObject({
      name: 'UploadSessionNotFoundError',
    });
    expect(await readdir(join(rootDir, 'uploads'))).not.toContain(session.uploadId);
  });

  describe.each(['index-written', 'published'] as const)('after a crash at step %s', (crashStep: CompleteStep) => {
    it('a fresh run (another process) publishes the same blob, whole', async () => {
      let crashes = 0;
      const crashing = createFilesystemDriver({
        rootDir,
        completeStep: (step) => {
          if (step === crashStep && crashes++ === 0) throw new Error(`crash at ${step}`);
        },
      });
      const chunks = [Buffer.from(`${crashStep} `.repeat(500))];
      const content = Buffer.concat(chunks);
      const session = await sessionWithParts(chunks);
      await expect(crashing.publishBytes!(session, chunks, digestOf(content))).rejects.toThrow(/crash/);
      const location = await createFilesystemDriver({ rootDir }).publishBytes!(session, chunks, digestOf(content));
      expect((await read(location)).equals(content)).toBe(true);
      await driver.abortUpload(session);
      expect(await readdir(join(rootDir, 'uploads'))).not.toContain(session.uploadId);
    });
  });
});

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
