import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidPathError, PathNotFoundError, RangeNotSatisfiableError } from './errors.js';
import type { LegacyStorageDriver as StorageDriver } from './legacy-storage-driver.js';

export interface StorageDriverFixture {
  driver: StorageDriver;
  teardown: () => Promise<void>;
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

    describe('writeAt', () => {
      it('creates the file and its parents and returns the bytes written', async () => {
        await expect(driver.writeAt(at('a/b/c/data'), 0, text('hello'))).resolves.toBe(5);
        expect((await driver.getContent(at('a/b/c/data'))).toString()).toBe('hello');
      });

      it('creates an empty file for an empty write', async () => {
        await expect(driver.writeAt(at('data'), 0, new Uint8Array())).resolves.toBe(0);
        expect((await driver.stat(at('data'))).size).toBe(0);
      });

      it('writes at an offset and never truncates what follows', async () => {
        await driver.writeAt(at('data'), 0, text('hello world'));
        await driver.writeAt(at('data'), 6, text('WORLD'));
        await driver.writeAt(at('data'), 0, text('J'));
        expect((await driver.getContent(at('data'))).toString()).toBe('Jello WORLD');
      });

      it('assembles a gap-free sequence of parts', async () => {
        const parts = [patterned(1000, 1), patterned(70_000, 2), patterned(3, 3), patterned(65_536, 4)];
        let offset = 0;
        for (const part of parts) {
          await expect(driver.writeAt(at('data'), offset, part)).resolves.toBe(part.length);
          offset += part.length;
        }
        expect((await driver.getContent(at('data'))).equals(Buffer.concat(parts))).toBe(true);
        expect((await driver.stat(at('data'))).size).toBe(offset);
      });

      it('truncates a file to a size, and reports a missing one', async () => {
        await driver.writeAt('trunc/data', 0, Buffer.from('0123456789'));
        await driver.truncate('trunc/data', 4);
        expect((await driver.getContent('trunc/data')).toString()).toBe('0123');
        await expect(driver.truncate('trunc/missing', 1)).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('rewrites the same range idempotently', async () => {
        const first = patterned(4096, 5);
        const second = patterned(8192, 6);
        await driver.writeAt(at('data'), 0, first);
        await driver.writeAt(at('data'), first.length, second);
        await driver.writeAt(at('data'), first.length, second);
        await driver.writeAt(at('data'), 0, first);
        expect((await driver.getContent(at('data'))).equals(Buffer.concat([first, second]))).toBe(true);
      });

      it('streams an async iterable chunk by chunk at increasing offsets', async () => {
        const chunks = Array.from({ length: 64 }, (_, i) => patterned(16_384 + i, i));
        async function* body(): AsyncGenerator<Uint8Array> {
          for (const chunk of chunks) yield new Uint8Array(chunk);
        }
        const head = text('head:');
        await driver.writeAt(at('data'), 0, head);
        const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        await expect(driver.writeAt(at('data'), head.length, body())).resolves.toBe(total);
        const content = await driver.getContent(at('data'));
        expect(content.equals(Buffer.concat([head, ...chunks]))).toBe(true);
      });
    });

    describe('reader', () => {
      it('streams the whole file', async () => {
        const content = patterned(200_000, 7);
        await driver.putContent(at('data'), content);
        expect((await readAll(await driver.reader(at('data')))).equals(content)).toBe(true);
      });

      it('streams an inclusive byte range', async () => {
        await driver.putContent(at('data'), text('0123456789'));
        expect((await readAll(await driver.reader(at('data'), { start: 2, end: 5 }))).toString()).toBe('2345');
        expect((await readAll(await driver.reader(at('data'), { start: 9, end: 9 }))).toString()).toBe('9');
      });

      it('clamps the end of a range to the last byte', async () => {
        await driver.putContent(at('data'), text('0123456789'));
        expect((await readAll(await driver.reader(at('data'), { start: 7, end: 1_000 }))).toString()).toBe('789');
      });

      it('rejects an unsatisfiable range with the file size', async () => {
        await driver.putContent(at('data'), text('0123456789'));
        for (const range of [
          { start: 5, end: 4 },
          { start: 10, end: 20 },
          { start: 11, end: 11 },
        ]) {
          await expectRangeNotSatisfiable(driver.reader(at('data'), range), 10);
        }
        await driver.putContent(at('empty'), new Uint8Array());
        await expectRangeNotSatisfiable(driver.reader(at('empty'), { start: 0, end: 0 }), 0);
      });

      it('rejects a missing file with PathNotFoundError', async () => {
        await expectPathNotFound(driver.reader(at('missing')), at('missing'));
      });
    });

    describe('stat and sync', () => {
      it('reports size and modification time', async () => {
        await driver.writeAt(at('data'), 0, patterned(12_345, 8));
        const info = await driver.stat(at('data'));
        expect(info.size).toBe(12_345);
        expect(info.modifiedAt).toBeInstanceOf(Date);
        expect(Math.abs(info.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
      });

      it('rejects a missing file, and a directory, with PathNotFoundError', async () => {
        await driver.writeAt(at('dir/data'), 0, text('x'));
        await expectPathNotFound(driver.stat(at('missing')), at('missing'));
        await expectPathNotFound(driver.stat(at('dir')), at('dir'));
        await expect(driver.stat(at('dir/data/below'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('syncs an existing file and rejects a missing one', async () => {
        await driver.writeAt(at('data'), 0, text('x'));
        await expect(driver.sync(at('data'))).resolves.toBeUndefined();
        await expectPathNotFound(driver.sync(at('missing')), at('missing'));
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

    describe('move', () => {
      it("publishes src at dst, creating parents: 'moved'", async () => {
        await driver.putContent(at('uploads/u1/data'), text('layer'));
        await expect(driver.move(at('uploads/u1/data'), at('blobs/ab/data'))).resolves.toBe('moved');
        expect((await driver.getContent(at('blobs/ab/data'))).toString()).toBe('layer');
        await expect(driver.stat(at('uploads/u1/data'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it("keeps an existing dst and removes src: 'exists'", async () => {
        await driver.putContent(at('blobs/ab/data'), text('first'));
        await driver.putContent(at('uploads/u2/data'), text('second'));
        await expect(driver.move(at('uploads/u2/data'), at('blobs/ab/data'))).resolves.toBe('exists');
        expect((await driver.getContent(at('blobs/ab/data'))).toString()).toBe('first');
        await expect(driver.stat(at('uploads/u2/data'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it("answers 'exists' when src is gone but dst exists (a retried move)", async () => {
        await driver.putContent(at('blobs/ab/data'), text('first'));
        await expect(driver.move(at('uploads/gone/data'), at('blobs/ab/data'))).resolves.toBe('exists');
        expect((await driver.getContent(at('blobs/ab/data'))).toString()).toBe('first');
      });

      it('rejects with PathNotFoundError when neither src nor dst exists', async () => {
        await expectPathNotFound(driver.move(at('uploads/gone/data'), at('blobs/ab/data')), at('uploads/gone/data'));
      });

      it('keeps the file when src and dst are the same path', async () => {
        await driver.putContent(at('blobs/ab/data'), text('first'));
        await expect(driver.move(at('blobs/ab/data'), at('blobs/ab/data'))).resolves.toBe('exists');
        expect((await driver.getContent(at('blobs/ab/data'))).toString()).toBe('first');
      });

      it("lets exactly one of 20 concurrent moves to one dst be 'moved'", async () => {
        const content = patterned(256 * 1024, 11);
        const srcs = Array.from({ length: 20 }, (_, i) => at(`uploads/u${i}/data`));
        await Promise.all(srcs.map((src) => driver.putContent(src, content)));
        // With dst's directory already there, no mover is slowed by creating it: a fairer race.
        await driver.putContent(at('blobs/cd/sibling'), text('s'));
        const outcomes = await Promise.all(srcs.map((src) => driver.move(src, at('blobs/cd/data'))));
        expect(outcomes.filter((outcome) => outcome === 'moved')).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome === 'exists')).toHaveLength(19);
        expect((await driver.getContent(at('blobs/cd/data'))).equals(content)).toBe(true);
        for (const src of srcs) await expect(driver.stat(src)).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe('delete and list', () => {
      it('deletes a file', async () => {
        await driver.putContent(at('data'), text('x'));
        await driver.delete(at('data'));
        await expect(driver.stat(at('data'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('deletes a whole tree', async () => {
        await driver.putContent(at('upload/data'), text('x'));
        await driver.putContent(at('upload/hashstates/sha256/0'), text('y'));
        await driver.delete(at('upload'));
        await expect(driver.getContent(at('upload/hashstates/sha256/0'))).rejects.toBeInstanceOf(PathNotFoundError);
        expect(await driver.list(base)).toEqual([]);
      });

      it('deletes a missing path without error', async () => {
        await expect(driver.delete(at('missing/deeper'))).resolves.toBeUndefined();
      });

      it('lists the immediate children of a directory, sorted', async () => {
        for (const name of ['b', 'A', '9', '10', 'a.txt']) await driver.putContent(at(`dir/${name}`), text(name));
        await driver.putContent(at('dir/sub/nested'), text('n'));
        expect(await driver.list(at('dir'))).toEqual(['10', '9', 'A', 'a.txt', 'b', 'sub']);
      });

      it('lists a missing directory as empty', async () => {
        expect(await driver.list(at('missing'))).toEqual([]);
      });
    });

    it.each(INVALID_PATHS)('rejects the invalid path %j in every method', async (invalid) => {
      const valid = at('valid/data');
      await driver.putContent(valid, text('kept'));
      const calls: Record<string, () => unknown> = {
        writeAt: () => driver.writeAt(invalid, 0, text('x')),
        sync: () => driver.sync(invalid),
        putContent: () => driver.putContent(invalid, text('x')),
        getContent: () => driver.getContent(invalid),
        reader: () => driver.reader(invalid),
        stat: () => driver.stat(invalid),
        'move (src)': () => driver.move(invalid, valid),
        'move (dst)': () => driver.move(valid, invalid),
        delete: () => driver.delete(invalid),
        list: () => driver.list(invalid),
        localPath: () => driver.localPath(invalid),
      };
      for (const [method, call] of Object.entries(calls)) {
        // Promise.resolve().then turns a synchronous throw into a rejection too.
        await expect(Promise.resolve().then(call), method).rejects.toBeInstanceOf(InvalidPathError);
      }
      expect((await driver.getContent(valid)).toString()).toBe('kept');
    });
  });
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
