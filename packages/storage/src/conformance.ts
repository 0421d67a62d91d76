import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { writePartFileSync } from './local-part-file.js';
import { InvalidPathError, PathNotFoundError, RangeNotSatisfiableError, UploadSessionNotFoundError } from './errors.js';
import type { ByteRange, StorageDriver, UploadListing, UploadSession, WrittenPart } from './storage-driver.js';

/**
 * A listing assertion on a store whose listings are eventually consistent: polled until it holds
 * (at once on the filesystem; on Swift when its container server has applied the update).
 */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 50 });

export interface StorageDriverFixture {
  driver: StorageDriver;
  teardown: () => Promise<void>;
  /** Whether the driver offers the local-parts capability (its parts are files here). */
  localParts: boolean;
}

const INVALID_PATHS = ['../x', '/abs', 'a//b', 'a/./b', 'a\\b', '', 'a/', 'a/../b', '.hidden', 'a\u0000b'];

/**
 * The behaviour every StorageDriver must show, pinned once and run against each driver. The
 * driver is set up once per suite; each test works under its own random prefix, so tests never
 * see each other's files and a shared bucket would do.
 */
export function describeStorageDriverConformance(driverName: string, setup: () => Promise<StorageDriverFixture>): void {
  describe(`StorageDriver conformance: ${driverName}`, () => {
    let fixture: StorageDriverFixture | undefined;
    let driver: StorageDriver;
    let base: string;

    beforeAll(async () => {
      fixture = await setup();
      driver = fixture.driver;
    });
    afterAll(async () => {
      await fixture?.teardown();
    });
    beforeEach(() => {
      base = `t${randomUUID()}`;
    });
    const at = (path: string): string => `${base}/${path}`;

    const newUpload = () => driver.createUpload(randomUUID());
    const write = (session: UploadSession, partNumber: number, bytes: Uint8Array) =>
      driver.writePart(session, partNumber, bytes, bytes.length);
    const blobBytes = async (location: string, range?: ByteRange) => readAll(await driver.blobReader(location, range));

    /** Writes `parts` as part numbers 1, 2, ... and completes them as one blob. */
    async function publish(parts: Buffer[]): Promise<{ location: string; content: Buffer; session: UploadSession }> {
      const session = await newUpload();
      const written: WrittenPart[] = [];
      for (const [i, part] of parts.entries()) written.push(await write(session, i + 1, part));
      const content = Buffer.concat(parts);
      const location = await driver.completeUpload(session, written, digestOf(content));
      return { location, content, session };
    }

    describe('upload sessions', () => {
      it('write parts, complete them in order into a blob, and read it back whole', async () => {
        const parts = [patterned(1000, 1), patterned(70_000, 2), patterned(3, 3), patterned(65_536, 4)];
        const { location, content } = await publish(parts);
        expect((await blobBytes(location)).equals(content)).toBe(true);
        expect((await driver.statBlob(location)).size).toBe(content.length);
      });

      it('stream a part from an async iterable chunk by chunk, and report its size', async () => {
        const session = await newUpload();
        const chunks = Array.from({ length: 64 }, (_, i) => patterned(16_384 + i, i));
        async function* body(): AsyncGenerator<Uint8Array> {
          for (const chunk of chunks) yield new Uint8Array(chunk);
        }
        const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        const written = await driver.writePart(session, 7, body());
        expect(written).toMatchObject({ partNumber: 7, size: total });
        expect((await readAll(await driver.partReader(session, 7))).equals(Buffer.concat(chunks))).toBe(true);
        const location = await driver.completeUpload(session, [written], digestOf(Buffer.concat(chunks)));
        expect((await blobBytes(location)).equals(Buffer.concat(chunks))).toBe(true);
      });

      it('read a written part whole and by range, and refuse a missing one', async () => {
        const session = await newUpload();
        await write(session, 3, text('0123456789'));
        expect((await readAll(await driver.partReader(session, 3))).toString()).toBe('0123456789');
        expect((await readAll(await driver.partReader(session, 3, { start: 2, end: 5 }))).toString()).toBe('2345');
        await expectRangeNotSatisfiable(driver.partReader(session, 3, { start: 10, end: 12 }), 10);
        await expect(driver.partReader(session, 4)).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('publish exactly the parts given: skipped and later parts never appear in the blob', async () => {
        const session = await newUpload();
        const [a, stale, b] = [patterned(5000, 5), patterned(4000, 6), patterned(3000, 7)];
        const first = await write(session, 1, a);
        await write(session, 2, stale);
        const third = await write(session, 3, b);
        const content = Buffer.concat([a, b]);
        const location = await driver.completeUpload(session, [first, third], digestOf(content));
        expect((await blobBytes(location)).equals(content)).toBe(true);
        expect((await driver.statBlob(location)).size).toBe(content.length);
      });

      it('a stale part written during and after completion never appears in the blob', async () => {
        const session = await newUpload();
        const committed = patterned(10_000, 8);
        const part = await write(session, 1, committed);
        // A writer that lost its claim is still streaming its own part.
        const release = deferred();
        async function* staleBody(): AsyncGenerator<Uint8Array> {
          yield patterned(1000, 9);
          await release.promise;
          yield patterned(50_000, 10);
        }
        const stale = driver.writePart(session, 2, staleBody()).then(
          () => 'written',
          (error: unknown) => error,
        );
        const location = await driver.completeUpload(session, [part], digestOf(committed));
        release.resolve();
        const outcome = await stale;
        if (outcome !== 'written') expect(outcome).toBeInstanceOf(UploadSessionNotFoundError);
        await driver.abortUpload(session);
        expect((await blobBytes(location)).equals(committed)).toBe(true);
        expect((await driver.statBlob(location)).size).toBe(committed.length);
        // And a part written after the session was aborted is refused.
        await expect(write(session, 3, patterned(10, 11))).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        expect((await blobBytes(location)).equals(committed)).toBe(true);
      });

      it('completion is idempotent: a repeat returns the same location and the same bytes', async () => {
        const parts = [patterned(2000, 12), patterned(3000, 13)];
        const session = await newUpload();
        const written = [await write(session, 1, parts[0]!), await write(session, 2, parts[1]!)];
        const content = Buffer.concat(parts);
        const first = await driver.completeUpload(session, written, digestOf(content));
        const again = await driver.completeUpload(session, written, digestOf(content));
        expect(again).toBe(first);
        expect((await blobBytes(first)).equals(content)).toBe(true);
      });

      it('two runs of one completion at once (a re-run job) both return the blob', async () => {
        const parts = Array.from({ length: 12 }, (_, i) => patterned(1000 + i, 20 + i));
        const session = await newUpload();
        const written: WrittenPart[] = [];
        for (const [i, part] of parts.entries()) written.push(await write(session, i + 1, part));
        const content = Buffer.concat(parts);
        const [one, two] = await Promise.all([
          driver.completeUpload(session, written, digestOf(content)),
          driver.completeUpload(session, written, digestOf(content)),
        ]);
        expect(two).toBe(one);
        expect((await blobBytes(one)).equals(content)).toBe(true);
      });

      it('two sessions completing the same digest leave one readable blob', async () => {
        const content = patterned(40_000, 14);
        const sessions = await Promise.all(Array.from({ length: 5 }, () => newUpload()));
        const written = await Promise.all(sessions.map((session) => write(session, 1, content)));
        const locations = await Promise.all(
          sessions.map((session, i) => driver.completeUpload(session, [written[i]!], digestOf(content))),
        );
        for (const location of locations) expect((await blobBytes(location)).equals(content)).toBe(true);
        // The caller keeps one location per digest and deletes the others: the kept one stays whole.
        const kept = locations[0]!;
        for (const location of locations.slice(1)) if (location !== kept) await driver.deleteBlob(location);
        await Promise.all(sessions.map((session) => driver.abortUpload(session)));
        expect((await blobBytes(kept)).equals(content)).toBe(true);
      });

      it('an empty blob: no parts, or one empty part', async () => {
        const session = await newUpload();
        const none = await driver.completeUpload(session, [], digestOf(Buffer.alloc(0)));
        expect((await driver.statBlob(none)).size).toBe(0);
        expect((await blobBytes(none)).length).toBe(0);
        await expectRangeNotSatisfiable(driver.blobReader(none, { start: 0, end: 0 }), 0);
        const other = await newUpload();
        const empty = await write(other, 1, new Uint8Array());
        expect(empty.size).toBe(0);
        const location = await driver.completeUpload(other, [empty], digestOf(Buffer.alloc(0)));
        expect((await blobBytes(location)).length).toBe(0);
      });

      it('abort removes every part, is idempotent, and leaves published blobs alone', async () => {
        const { location, content, session } = await publish([patterned(3000, 15)]);
        const pending = await newUpload();
        await write(pending, 1, patterned(100, 16));
        await driver.abortUpload(pending);
        await driver.abortUpload(pending);
        await expect(driver.partReader(pending, 1)).rejects.toBeInstanceOf(PathNotFoundError);
        await driver.abortUpload(session);
        expect((await blobBytes(location)).equals(content)).toBe(true);
      });

      it('a completion of an aborted session is refused', async () => {
        const session = await newUpload();
        const part = await write(session, 1, patterned(100, 17));
        await driver.abortUpload(session);
        await expect(driver.completeUpload(session, [part], digestOf(patterned(100, 17)))).rejects.toBeInstanceOf(
          UploadSessionNotFoundError,
        );
      });

      it('list the sessions that hold storage, with a recent time', async () => {
        const session = await newUpload();
        await write(session, 1, patterned(10, 18));
        const listed: UploadListing[] = [];
        for await (const listing of driver.listUploads()) listed.push(listing);
        const mine = listed.find((listing) => listing.session.uploadId === session.uploadId);
        expect(mine).toBeDefined();
        expect(Math.abs(mine!.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
        await driver.abortUpload(mine!.session);
        const listedIds = async () => {
          const ids: string[] = [];
          for await (const listing of driver.listUploads()) ids.push(listing.session.uploadId);
          return ids;
        };
        // Listings may lag behind deletes on an eventually consistent store (see StorageDriver.list).
        await eventually(listedIds).not.toContain(session.uploadId);
      });

      it('refuses part numbers outside 1..10000', async () => {
        const session = await newUpload();
        for (const bad of [0, -1, 10_001, 1.5]) {
          await expect(
            Promise.resolve().then(() => write(session, bad, text('x'))),
            String(bad),
          ).rejects.toThrow();
        }
      });
    });

    describe('capabilities', () => {
      it('offer local parts exactly when parts are local files: written there by storage, committed like written parts', async () => {
        expect(driver.localParts !== undefined).toBe(fixture!.localParts);
        const session = await newUpload();
        const local = driver.localParts;
        if (local === undefined) {
          // A remote store publishes by upload: the digest may be unknown yet (the caller hashes the blob).
          const written = await write(session, 1, patterned(5000, 30));
          const location = await driver.completeUpload(session, [written], undefined);
          expect((await blobBytes(location)).equals(patterned(5000, 30))).toBe(true);
          return;
        }
        // A hash thread writes a whole part into its file through storage's writePartFileSync.
        const [a, b] = [patterned(70_000, 31), patterned(3000, 32)];
        writePartFileSync(local.partPath(session, 1), a);
        const second = await write(session, 2, b);
        expect((await readAll(await driver.partReader(session, 1))).equals(a)).toBe(true);
        expect(() => writePartFileSync(local.partPath(session, 1), b)).toThrow(/EEXIST/);
        // A part is flushed where it lies; one never written is reported gone.
        expect(await local.flushPart(session, 2)).toBe(true);
        expect(await local.flushPart(session, 3)).toBe(false);
        const content = Buffer.concat([a, b]);
        const first: WrittenPart = { partNumber: 1, size: a.length, receipt: '' };
        const location = await driver.completeUpload(session, [first, second], digestOf(content));
        expect((await blobBytes(location)).equals(content)).toBe(true);
        // Content-addressed: a digest is required. An aborted session's directory is never recreated.
        const other = await newUpload();
        await expect(driver.completeUpload(other, [], undefined)).rejects.toThrow(TypeError);
        await driver.abortUpload(other);
        expect(() => writePartFileSync(local.partPath(other, 1), a)).toThrow(/ENOENT/);
      });
    });

    describe('blobs', () => {
      it('serve inclusive ranges, across segment boundaries', async () => {
        const parts = [patterned(1000, 30), patterned(1, 31), patterned(2500, 32), patterned(700, 33)];
        const { location, content } = await publish(parts);
        const ranges: ByteRange[] = [
          { start: 0, end: 0 },
          { start: 999, end: 1000 },
          { start: 999, end: 1001 },
          { start: 1000, end: 1000 },
          { start: 500, end: 3800 },
          { start: 1001, end: 3500 },
          { start: 3501, end: 4200 },
          { start: 4000, end: 100_000 },
          { start: 0, end: content.length - 1 },
        ];
        for (const range of ranges) {
          const expected = content.subarray(range.start, Math.min(range.end, content.length - 1) + 1);
          expect((await blobBytes(location, range)).equals(expected), JSON.stringify(range)).toBe(true);
        }
      });

      it('reject an unsatisfiable range with the blob size', async () => {
        const { location } = await publish([text('01234'), text('56789')]);
        for (const range of [
          { start: 5, end: 4 },
          { start: 10, end: 20 },
          { start: 11, end: 11 },
        ]) {
          await expectRangeNotSatisfiable(driver.blobReader(location, range), 10);
        }
      });

      it('report size and time, and delete idempotently', async () => {
        const { location } = await publish([patterned(12_345, 34)]);
        const info = await driver.statBlob(location);
        expect(info.size).toBe(12_345);
        expect(Math.abs(info.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
        await driver.deleteBlob(location);
        await driver.deleteBlob(location);
        await expect(driver.statBlob(location)).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.blobReader(location)).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe('putContent and getContent', () => {
      it('round-trips content, creating parents', async () => {
        await driver.putContent(at('x/y/manifest'), text('{"a":1}'));
        expect((await driver.getContent(at('x/y/manifest'))).toString()).toBe('{"a":1}');
      });

      it('replaces content whole', async () => {
        await driver.putContent(at('manifest'), text('a much longer first version'));
        await driver.putContent(at('manifest'), text('short'));
        expect((await driver.getContent(at('manifest'))).toString()).toBe('short');
      });

      it('never shows a concurrent reader a partial file', async () => {
        const [older, newer] = [patterned(512 * 1024, 9), patterned(256 * 1024, 10)];
        await driver.putContent(at('manifest'), older);
        let writing = true;
        const writer = (async () => {
          try {
            for (let round = 0; round < 20; round += 1) {
              await driver.putContent(at('manifest'), round % 2 === 0 ? newer : older);
            }
          } finally {
            writing = false;
          }
        })();
        let reads = 0;
        let torn = 0;
        while (writing) {
          const seen = await driver.getContent(at('manifest'));
          reads += 1;
          if (!seen.equals(older) && !seen.equals(newer)) torn += 1;
        }
        await writer;
        expect(reads).toBeGreaterThan(0);
        expect(torn).toBe(0);
      });

      it('rejects a missing file with PathNotFoundError', async () => {
        await expectPathNotFound(driver.getContent(at('missing')), at('missing'));
      });
    });

    describe('delete and list', () => {
      it('deletes a file', async () => {
        await driver.putContent(at('data'), text('x'));
        await driver.delete(at('data'));
        await expect(driver.getContent(at('data'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('deletes a whole tree', async () => {
        await driver.putContent(at('upload/data'), text('x'));
        await driver.putContent(at('upload/hashstates/sha256/0'), text('y'));
        await driver.delete(at('upload'));
        await expect(driver.getContent(at('upload/hashstates/sha256/0'))).rejects.toBeInstanceOf(PathNotFoundError);
        // Reads by path see the delete at once; a listing may lag behind it (see StorageDriver.list).
        await eventually(() => driver.list(base)).toEqual([]);
      });

      it('deletes a missing path without error', async () => {
        await expect(driver.delete(at('missing/deeper'))).resolves.toBeUndefined();
      });

      it('lists the immediate children of a directory, sorted', async () => {
        for (const name of ['b', 'A', '9', '10', 'a.txt']) await driver.putContent(at(`dir/${name}`), text(name));
        await driver.putContent(at('dir/sub/nested'), text('n'));
        await eventually(() => driver.list(at('dir'))).toEqual(['10', '9', 'A', 'a.txt', 'b', 'sub']);
      });

      it('lists a missing directory as empty', async () => {
        expect(await driver.list(at('missing'))).toEqual([]);
      });
    });

    it.each(INVALID_PATHS)('rejects the invalid path %j in every method', async (invalid) => {
      const valid = at('valid/data');
      await driver.putContent(valid, text('kept'));
      const calls: Record<string, () => unknown> = {
        putContent: () => driver.putContent(invalid, text('x')),
        getContent: () => driver.getContent(invalid),
        delete: () => driver.delete(invalid),
        list: () => driver.list(invalid),
        createUpload: () => driver.createUpload(invalid),
      };
      for (const [method, call] of Object.entries(calls)) {
        // Promise.resolve().then turns a synchronous throw into a rejection too.
        await expect(Promise.resolve().then(call), method).rejects.toBeInstanceOf(InvalidPathError);
      }
      expect((await driver.getContent(valid)).toString()).toBe('kept');
    });
  });
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function text(value: string): Buffer {
  return Buffer.from(value, 'utf8');
}

/** Deterministic bytes that differ by seed, so misplaced or mixed-up chunks are detected. */
function patterned(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return bytes;
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function expectPathNotFound(operation: Promise<unknown>, path: string): Promise<void> {
  const error = await rejectionOf(operation);
  expect(error).toBeInstanceOf(PathNotFoundError);
  expect((error as PathNotFoundError).path).toBe(path);
}

async function expectRangeNotSatisfiable(operation: Promise<unknown>, size: number): Promise<void> {
  const error = await rejectionOf(operation);
  expect(error).toBeInstanceOf(RangeNotSatisfiableError);
  expect((error as RangeNotSatisfiableError).size).toBe(size);
}

async function rejectionOf(operation: Promise<unknown>): Promise<unknown> {
  return operation.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}
