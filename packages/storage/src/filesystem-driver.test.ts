import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStorageDriverConformance } from './conformance.js';
import { InvalidPathError, UploadSessionNotFoundError } from './errors.js';
import { createFilesystemDriver, type CompleteStep } from './filesystem-driver.js';
import type { StorageDriver, UploadSession, WrittenPart } from './storage-driver.js';

describeStorageDriverConformance('filesystem', async () => {
  const rootDir = await mkdtemp(join(tmpdir(), 'longshore-storage-'));
  return {
    driver: createFilesystemDriver({ rootDir }),
    teardown: () => rm(rootDir, { recursive: true, force: true }),
    localParts: true,
  };
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
      await expect(driver.putContent(hostile, Buffer.from('x')), hostile).rejects.toBeInstanceOf(InvalidPathError);
      await expect(driver.createUpload(hostile), hostile).rejects.toBeInstanceOf(InvalidPathError);
      await expect(driver.blobReader(hostile), hostile).rejects.toThrow();
    }
    await expect(access(join(rootDir, '..', escapee))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('offers local parts: partPath is the absolute path of the part file inside rootDir', async () => {
    const session = await driver.createUpload(randomUUID());
    await driver.writePart(session, 4, Buffer.from('bytes'));
    expect(driver.localParts?.partPath(session, 4)).toBe(join(rootDir, 'uploads', session.uploadId, '4'));
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

  it('a published blob is a directory of the committed part files and their index: no copy', async () => {
    const session = await driver.createUpload(randomUUID());
    const parts = [Buffer.from('first part '), Buffer.from('stale'), Buffer.from('second part')];
    const written = await writeAll(driver, session, parts);
    const content = Buffer.concat([parts[0]!, parts[2]!]);
    const location = await driver.completeUpload(session, [written[0]!, written[2]!], digestOf(content));
    expect(await readdir(join(rootDir, location))).toEqual(['1', '3', 'index']);
    // The session's directory became the blob's: the stale part was not published with it.
    await expect(access(join(rootDir, 'uploads', session.uploadId))).rejects.toThrow(/ENOENT/);
    expect((await readBlob(driver, location)).equals(content)).toBe(true);
    // A stale writer that comes later finds no session to write into.
    await expect(driver.writePart(session, 4, Buffer.from('late'))).rejects.toThrow(UploadSessionNotFoundError);
    await driver.abortUpload(session);
    await expect(access(join(rootDir, 'uploads', session.uploadId))).rejects.toThrow(/ENOENT/);
    expect((await driver.statBlob(location)).size).toBe(content.length);
  });

  it('publishes a many-part upload by renaming its session directory: the blob directory is that directory', async () => {
    const session = await driver.createUpload(randomUUID());
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.from(`part ${i} `.repeat(50 + i)));
    const written = await writeAll(driver, session, parts);
    const before = await stat(join(rootDir, 'uploads', session.uploadId));
    const partFile = await stat(join(rootDir, 'uploads', session.uploadId, '17'));
    // Half the parts flushed already (by the background check): published all the same.
    const flagged = written.map((part, i) => ({ ...part, durable: i % 2 === 0 }));
    const content = Buffer.concat(parts);
    const location = await driver.completeUpload(session, flagged, digestOf(content));
    expect((await stat(join(rootDir, location))).ino).toBe(before.ino);
    expect((await stat(join(rootDir, location, '17'))).ino).toBe(partFile.ino);
    expect((await readBlob(driver, location)).equals(content)).toBe(true);
  });

  it('two runs of one completion at once publish one blob, whole, and both report it', async () => {
    const session = await driver.createUpload(randomUUID());
    const parts = Array.from({ length: 12 }, (_, i) => Buffer.from(`both ${i} `.repeat(70 + i)));
    const written = await writeAll(driver, session, parts);
    const content = Buffer.concat(parts);
    const runs = await Promise.all([
      driver.completeUpload(session, written, digestOf(content)),
      createFilesystemDriver({ rootDir }).completeUpload(session, written, digestOf(content)),
    ]);
    expect(runs[0]).toBe(runs[1]);
    expect((await readBlob(driver, runs[0])).equals(content)).toBe(true);
  });

  it('replaces an index an earlier run left cut short beside the parts', async () => {
    const session = await driver.createUpload(randomUUID());
    const parts = Array.from({ length: 3 }, (_, i) => Buffer.from(`cut ${i} `.repeat(60 + i)));
    const written = await writeAll(driver, session, parts);
    await writeFile(join(rootDir, 'uploads', session.uploadId, 'index'), '{"digest":"sha256:');
    const content = Buffer.concat(parts);
    const location = await driver.completeUpload(session, written, digestOf(content));
    expect((await readdir(join(rootDir, location))).filter((name) => !name.startsWith('.'))).toEqual([
      '1',
      '2',
      '3',
      'index',
    ]);
    expect((await readBlob(driver, location)).equals(content)).toBe(true);
  });

  it('finishes a completion an earlier version left half staged in publish/', async () => {
    const session = await sessionOfEarlierVersion();
    const parts = Array.from({ length: 5 }, (_, i) => Buffer.from(`staged ${i} `.repeat(90 + i)));
    const written = await writeAll(driver, session, parts);
    const sessionDir = join(rootDir, 'uploads', session.uploadId);
    await mkdir(join(sessionDir, 'publish'));
    for (const name of ['1', '2']) await rename(join(sessionDir, 'parts', name), join(sessionDir, 'publish', name));
    const content = Buffer.concat(parts);
    const location = await driver.completeUpload(session, written, digestOf(content));
    expect((await readBlob(driver, location)).equals(content)).toBe(true);
    await driver.abortUpload(session);
    expect((await driver.statBlob(location)).size).toBe(content.length);
  });

  it('makes one directory per upload, its parts in it; one made by an earlier version keeps them in parts/', async () => {
    const session = await driver.createUpload(randomUUID());
    await driver.writePart(session, 1, Buffer.from('flat'));
    expect(await readdir(join(rootDir, 'uploads', session.uploadId))).toEqual(['1']);
    await driver.abortUpload(session);
    await expect(access(join(rootDir, 'uploads', session.uploadId))).rejects.toThrow(/ENOENT/);

    const parts = [Buffer.from('earlier '.repeat(50)), Buffer.from('version '.repeat(50))];
    const content = Buffer.concat(parts);
    const earlier = await sessionOfEarlierVersion();
    const written = await writeAll(driver, earlier, parts);
    expect(driver.localParts?.partPath(earlier, 2)).toBe(join(rootDir, 'uploads', earlier.uploadId, 'parts', '2'));
    const read: Buffer[] = [];
    for await (const chunk of await driver.partReader(earlier, 2)) read.push(chunk as Buffer);
    expect(Buffer.concat(read).equals(parts[1]!)).toBe(true);
    const location = await driver.completeUpload(earlier, written, digestOf(content));
    expect((await readBlob(driver, location)).equals(content)).toBe(true);
    await driver.abortUpload(earlier);
    await expect(access(join(rootDir, 'uploads', earlier.uploadId))).rejects.toThrow(/ENOENT/);

    const small = await sessionOfEarlierVersion();
    const one = Buffer.from('earlier small layer');
    await driver.writePart(small, 1, one);
    const smallLocation = await driver.publishBytes!(small, [one], digestOf(one), undefined, 1);
    expect((await readBlob(driver, smallLocation)).equals(one)).toBe(true);
    await driver.abortUpload(small);
    const aborted = await sessionOfEarlierVersion();
    await driver.writePart(aborted, 1, one);
    await driver.abortUpload(aborted);
    for (const gone of [small, aborted]) {
      await expect(access(join(rootDir, 'uploads', gone.uploadId))).rejects.toThrow(/ENOENT/);
    }
    await expect(driver.writePart(aborted, 2, one)).rejects.toThrow(UploadSessionNotFoundError);
  });

  it('keeps a finished upload’s emptied directory for a new upload (a rename, no new inode); never one with files', async () => {
    const content = Buffer.from('kept directory');
    const done = await driver.createUpload(randomUUID());
    await driver.writePart(done, 1, content);
    const emptied = await stat(join(rootDir, 'uploads', done.uploadId));
    await driver.publishBytes!(done, [content], digestOf(content), undefined, 1);
    await driver.abortUpload(done);
    await expect(access(join(rootDir, 'uploads', done.uploadId))).rejects.toThrow(/ENOENT/);
    expect(await readdir(join(rootDir, 'uploads', '.spare'))).toContain(done.uploadId);
    const aborted = await driver.createUpload(randomUUID());
    await driver.writePart(aborted, 1, content);
    await driver.abortUpload(aborted);
    expect(await readdir(join(rootDir, 'uploads', '.spare'))).not.toContain(aborted.uploadId);
    // Taken by a new upload once this process has listed the spares (the first miss lists them).
    const made: UploadSession[] = [];
    await expect
      .poll(async () => {
        const session = await driver.createUpload(randomUUID());
        made.push(session);
        return (await stat(join(rootDir, 'uploads', session.uploadId))).ino;
      })
      .toBe(emptied.ino);
    const reused = made.at(-1)!;
    await expect(driver.writePart(done, 2, content)).rejects.toThrow(UploadSessionNotFoundError);
    await driver.writePart(reused, 1, content);
    expect(await readdir(join(rootDir, 'uploads', reused.uploadId))).toEqual(['1']);
    // The purge's clock: a reused directory counts as changed when it was taken, not when made.
    const listed: Date[] = [];
    for await (const listing of driver.listUploads()) {
      expect(listing.session.uploadId).not.toBe('.spare');
      if (listing.session.uploadId === reused.uploadId) listed.push(listing.modifiedAt);
    }
    expect(listed[0]!.getTime()).toBeGreaterThanOrEqual(emptied.mtimeMs);
    expect(listed[0]!.getTime()).toBeGreaterThan(emptied.ctimeMs);
    for (const session of made) await driver.abortUpload(session);
  });

  it('reads, ranges, stats and deletes blobs of both layouts: one file, and a directory with its index', async () => {
    const content = Buffer.from('0123456789'.repeat(30));
    const single = await driver.createUpload(randomUUID());
    await driver.writePart(single, 1, content);
    const file = await driver.publishBytes!(single, [content], digestOf(content), undefined, 1);
    const other = Buffer.from('9876543210'.repeat(30));
    const many = await driver.createUpload(randomUUID());
    const written = await writeAll(driver, many, [other.subarray(0, 100), other.subarray(100)]);
    const directory = await driver.completeUpload(many, written, digestOf(other));
    expect((await stat(join(rootDir, file))).isFile()).toBe(true);
    expect((await stat(join(rootDir, directory))).isDirectory()).toBe(true);
    for (const [location, bytes] of [
      [file, content],
      [directory, other],
    ] as const) {
      expect((await readBlob(driver, location)).equals(bytes)).toBe(true);
      const ranged: Buffer[] = [];
      for await (const chunk of await driver.blobReader(location, { start: 95, end: 104 }))
        ranged.push(chunk as Buffer);
      expect(Buffer.concat(ranged).equals(bytes.subarray(95, 105))).toBe(true);
      await expect(driver.blobReader(location, { start: 300, end: 400 })).rejects.toMatchObject({
        name: 'RangeNotSatisfiableError',
      });
      expect((await driver.statBlob(location)).size).toBe(bytes.length);
      await driver.deleteBlob(location);
      await expect(driver.statBlob(location)).rejects.toMatchObject({ name: 'PathNotFoundError' });
      await expect(driver.blobReader(location)).rejects.toMatchObject({ name: 'PathNotFoundError' });
      await driver.deleteBlob(location);
    }
    for (const session of [single, many]) await driver.abortUpload(session);
  });

  it('a many-part completion that finds a one-file blob of its digest (before, or made meanwhile) answers it', async () => {
    const parts = [Buffer.from('first of two '.repeat(40)), Buffer.from('second of two '.repeat(40))];
    const content = Buffer.concat(parts);
    const small = await driver.createUpload(randomUUID());
    await driver.writePart(small, 1, content);
    const location = await driver.publishBytes!(small, [content], digestOf(content), undefined, 1);
    const before = await driver.createUpload(randomUUID());
    expect(await driver.completeUpload(before, await writeAll(driver, before, parts), digestOf(content))).toBe(
      location,
    );
    await driver.deleteBlob(location);
    // Published as a file between this completion's check and its rename of `parts/`.
    const during = await driver.createUpload(randomUUID());
    const written = await writeAll(driver, during, parts);
    const racing = createFilesystemDriver({
      rootDir,
      completeStep: (step) => {
        if (step === 'index-written') writeFileSync(join(rootDir, location), content);
      },
    });
    expect(await racing.completeUpload(during, written, digestOf(content))).toBe(location);
    expect((await stat(join(rootDir, location))).isFile()).toBe(true);
    expect((await readBlob(driver, location)).equals(content)).toBe(true);
    for (const session of [small, before, during]) await driver.abortUpload(session);
    const left = await readdir(join(rootDir, 'uploads'));
    for (const session of [small, before, during]) expect(left).not.toContain(session.uploadId);
  });

  /** A session as an earlier version made it (state {}): its parts in `uploads/<id>/parts/`. */
  async function sessionOfEarlierVersion(): Promise<UploadSession> {
    const uploadId = randomUUID();
    await mkdir(join(rootDir, 'uploads', uploadId, 'parts'), { recursive: true });
    return { uploadId, state: {} };
  }

  describe.each(['part-staged', 'index-written', 'published'] as const)(
    'completion after a crash at step %s',
    (crashStep: CompleteStep) => {
      it('a fresh run (another process) publishes the same blob, whole', async () => {
        let crashes = 0;
        const crashing = createFilesystemDriver({
          rootDir,
          completeStep: (step) => {
            if (step === crashStep && crashes++ === 0) throw new Error(`crash at ${step}`);
          },
        });
        const session = await crashing.createUpload(randomUUID());
        const parts = Array.from({ length: 4 }, (_, i) => Buffer.from(`${crashStep} part ${i} `.repeat(100 + i)));
        const written = await writeAll(crashing, session, parts);
        const content = Buffer.concat(parts);
        await expect(crashing.completeUpload(session, written, digestOf(content))).rejects.toThrow(/crash/);

        const location = await createFilesystemDriver({ rootDir }).completeUpload(session, written, digestOf(content));
        expect((await readBlob(driver, location)).equals(content)).toBe(true);
        await driver.abortUpload(session);
        expect((await driver.statBlob(location)).size).toBe(content.length);
      });
    },
  );
});

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Writes `parts` as parts 1, 2, … of `session`, one after another. */
async function writeAll(driver: StorageDriver, session: UploadSession, parts: Buffer[]): Promise<WrittenPart[]> {
  const written: WrittenPart[] = [];
  for (const [i, part] of parts.entries()) written.push(await driver.writePart(session, i + 1, part));
  return written;
}

/** A blob's bytes, read whole. */
async function readBlob(driver: StorageDriver, location: string): Promise<Buffer> {
  const read: Buffer[] = [];
  for await (const chunk of await driver.blobReader(location)) read.push(chunk as Buffer);
  return Buffer.concat(read);
}
