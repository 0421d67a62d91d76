import { randomBytes } from 'node:crypto';
import { constants, createReadStream, mkdirSync, unlink as unlinkCallback } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { syncDirectory, writeFileAtomically, writeFully } from './filesystem-files.js';
import { isPublishedBlobNow, publishBytesInOneGo } from './filesystem-publish-bytes.js';
import { SpareDirectories } from './filesystem-spare-dirs.js';
import { publishPartsInPlace } from './filesystem-publish-in-place.js';
import { satisfiableRange } from './byte-range.js';
import { writeChunksCoalesced } from './coalescing-file-writer.js';
import { ArenaPool } from './aligned-slabs.js';
import { openForDirectWrites, writeChunksDirect } from './direct-file-writer.js';
import { writePartFileSync } from './local-part-file.js';
import { createPartStager, type StagedPartFile } from './staged-part-file.js';
import { PartExistsError, PathNotFoundError, UploadSessionNotFoundError } from './errors.js';
import { blobIndexOf, parseBlobIndex, type BlobIndex } from './filesystem-files.js';
import { isValidPathSegment, logicalPathUnder } from './storage-driver.js';
import {
  MAX_PART_NUMBER,
  MIN_PART_NUMBER,
  type BlobLocation,
  type ByteRange,
  type LocalParts,
  type ObjectInfo,
  type StorageDriver,
  type UploadListing,
  type UploadSession,
  type WrittenPart,
} from './storage-driver.js';

export interface FilesystemDriverOptions {
  /** Directory every logical path resolves under; created on the first write. */
  rootDir: string;
  /**
   * Fault injection for tests: called at each step of completeUpload; throwing from it stands
   * for a crash at that step.
   */
  completeStep?: (step: CompleteStep) => void;
}

/** The steps of a filesystem completion, in order (see `completeUpload`). */
export type CompleteStep = 'part-staged' | 'index-written' | 'published';

export function createFilesystemDriver(options: FilesystemDriverOptions): StorageDriver {
  return new FilesystemDriver(resolve(options.rootDir), options.completeStep);
}

// ENOTDIR: a parent segment is a file. EISDIR: the path is a directory, not a file.
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);
const BLOB_LOCATION = /^blobs\/(sha256\/[0-9a-f]{2}\/[0-9a-f]{64}|sha512\/[0-9a-f]{2}\/[0-9a-f]{128})$/;
const BLOB_DIGEST = /^(sha256):([0-9a-f]{64})$|^(sha512):([0-9a-f]{128})$/;
const READ_CHUNK = 1024 * 1024;
const unlink = promisify(unlinkCallback);
/**
 * A part this small (a whole small layer, typically) is written at once on the calling thread:
 * open, write and close take tens of microseconds of CPU there, against several hundred for the
 * three hops through libuv's thread pool (each wakes a pool thread and then the event loop). On
 * the 2-core development machine, 64 KiB files: 70–110 µs of CPU each written synchronously,
 * 225–490 µs through `fs.promises`. Nothing is fsynced here either way (the worker makes parts
 * durable before publishing).
 */
const SMALL_PART_BYTES = 256 * 1024;
/**
 * A session with at most this many part files has them removed all at once (see
 * removeSmallSession): a small layer's one or two parts, not a 10,000-part upload.
 */
const SMALL_SESSION_FILES = 16;
/** The page-aligned memory streamed parts are written from (direct-file-writer.ts), one pool per process. */
const directArenas = new ArenaPool();

/**
 * The filesystem layout behind the port:
 *
 *     uploads/<uploadId>/<partNumber>            one file per part claim, created exclusively
 *     uploads/<uploadId>/index                   its segment list, once completion starts
 *     uploads/<uploadId>/blob                    a small blob's file written from memory (publishBytes)
 *     uploads/<uploadId>/parts/<partNumber>      the same, for a session made before that layout
 *     uploads/<uploadId>/parts/index             (its state is {}; see SESSION_LAYOUT)
 *     uploads/<uploadId>/publish/                a completion being assembled (earlier versions)
 *     blobs/sha256/<xx>/<hex>                    a blob of one segment (publishBytes): the file itself
 *     blobs/sha256/<xx>/<hex>/index              or a directory: the blob's ordered segment list (JSON)
 *     blobs/sha256/<xx>/<hex>/<partNumber>       and its segments, the committed part files
 *     blobs/sha512/<xx>/<hex>…                   the same, for a blob pushed by its sha512
 *
 * Readers take either form at a blob's address: a file is the blob's bytes, a directory is read
 * through its index (every blob published before single-file blobs is one).
 *
 * Completion writes the segment list into the parts' directory (the session's, or its `parts/`)
 * beside the committed part files, removes the files nobody committed, and renames the whole
 * directory to the blob's content address: one atomic rename publishes it, however many parts (a
 * rename onto an existing, non-empty directory fails: the first writer wins). No byte is copied,
 * and a stale writer's bytes are never read: a part no claim committed is not in the index, and
 * once the directory is renamed no claim can create a file there. A small blob (publishBytes) is
 * one file instead: its part file renamed to the blob's address, or a file written from memory. (`publish/` is where earlier versions assembled a completion; see `stage`.)
 */
class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';

  /** Shard directories (`blobs/sha256/<xx>`) this process made or found: not made again. */
  private readonly knownShards = new Set<string>();
  /** Emptied upload directories, reused by new uploads (filesystem-spare-dirs.ts). */
  private readonly spares: SpareDirectories;

  constructor(
    /** Absolute and normalized (createFilesystemDriver resolves it): logical paths are appended to it. */
    private readonly rootDir: string,
    private readonly completeStep: ((step: CompleteStep) => void) | undefined,
  ) {
    this.spares = new SpareDirectories(join(rootDir, 'uploads', '.spare'));
  }

  // --- upload sessions -------------------------------------------------------------------------

  async createUpload(uploadId: string): Promise<UploadSession> {
    // One directory, on this thread: cheaper than a hop through libuv's pool (see SMALL_PART_BYTES).
    // A finished upload's emptied one if there is one (a rename), else a new one.
    const dir = this.localPath(`uploads/${uploadId}`);
    if (this.spares.takeInto(dir)) return this.plannedSession(uploadId);
    try {
      mkdirSync(dir);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      mkdirSync(dir, { recursive: true }); // the first upload under this root: `uploads/` too
    }
    return this.plannedSession(uploadId);
  }

  plannedSession(uploadId: string): UploadSession {
    return { uploadId, state: { ...SESSION_LAYOUT } };
  }

  async writePart(
    session: UploadSession,
    partNumber: number,
    data: Uint8Array | AsyncIterable<Uint8Array>,
  ): Promise<WrittenPart> {
    const file = this.partFile(session, partNumber);
    const refused = (error: unknown): never => {
      if (errorCode(error) === 'EEXIST') throw new PartExistsError(session.uploadId, partNumber, { cause: error });
      if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) {
        throw new UploadSessionNotFoundError(session.uploadId, { cause: error });
      }
      throw error;
    };
    if (data instanceof Uint8Array && data.byteLength <= SMALL_PART_BYTES) {
      try {
        writePartFileSync(file, data);
      } catch (error) {
        refused(error);
      }
      return { partNumber, size: data.byteLength, receipt: '' };
    }
    if (!(data instanceof Uint8Array))
      return { partNumber, size: await this.writeStream(file, data, refused), receipt: '' };
    // Exclusive: a part file is written by one claim only, and never again.
    const handle = await open(file, 'wx', 0o644).catch(refused);
    try {
      return { partNumber, size: await writeFully(handle, data, 0), receipt: '' };
    } finally {
      await handle.close();
    }
  }

  /**
   * A streamed part: written direct to the disk from page-aligned memory where the file system
   * allows it (direct-file-writer.ts), else through the page cache in coalesced writes.
   */
  private async writeStream(
    file: string,
    data: AsyncIterable<Uint8Array>,
    refused: (error: unknown) => never,
  ): Promise<number> {
    const arena = this.directRefused ? undefined : directArenas.take();
    // Exclusive: a part file is written by one claim only, and never again.
    if (!arena) return writeCoalescedAndClose(await open(file, 'wx', 0o644).catch(refused), data);
    try {
      const { handle, direct } = await openForDirectWrites(file).catch(refused);
      if (!direct) {
        this.directRefused = true;
        return await writeCoalescedAndClose(handle, data);
      }
      try {
        // A stale writer whose upload completed or was aborted finds no file to reopen: refused.
        const reopen = () => open(file, constants.O_WRONLY).catch(refused);
        return await writeChunksDirect(handle, reopen, data, arena);
      } finally {
        await handle.close();
      }
    } finally {
      directArenas.give(arena);
    }
  }

  /** The file system refused O_DIRECT once: streamed parts go through the page cache from then on. */
  private directRefused = false;

  /** Parts are files of their own here: hash threads write and read them directly. */
  readonly localParts: LocalParts = {
    partPath: (session, partNumber) => this.partFile(session, partNumber),
    flushPart: (session, partNumber) => flushFile(this.partFile(session, partNumber)),
    removePart: (session, partNumber) => rm(this.partFile(session, partNumber), { force: true }),
    // Beside uploads/ on the same file system, so a staged part becomes its part file by a hard link.
    stagePart: () => {
      this.partStager ??= createPartStager(join(this.rootDir, 'staging'));
      return this.partStager();
    },
  };

  private partStager: (() => Promise<StagedPartFile>) | undefined;

  private partFile(session: UploadSession, partNumber: number): string {
    if (!Number.isSafeInteger(partNumber) || partNumber < MIN_PART_NUMBER || partNumber > MAX_PART_NUMBER) {
      throw new RangeError(
        `part number must be an integer in ${MIN_PART_NUMBER}..${MAX_PART_NUMBER}, got ${partNumber}`,
      );
    }
    return join(this.partsDir(session), String(partNumber));
  }

  async partReader(session: UploadSession, partNumber: number, range?: ByteRange): Promise<Readable> {
    const file = this.partFile(session, partNumber);
    const { handle, size } = await openFile(file, `uploads/${session.uploadId}/${partNumber}`);
    try {
      const served = range === undefined ? {} : satisfiableRange(range, size);
      return handle.createReadStream({ ...served, highWaterMark: READ_CHUNK });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Publishes the committed parts where they lie: the directory of the session's parts gets its
   * segment list and becomes the blob's directory in one rename (filesystem-publish-in-place.ts), whatever
   * the number of parts. Idempotent at every step: a re-run rewrites the index and renames; a
   * directory already renamed is found at the blob's address, which is also what a later session
   * of the same digest finds (its parts are then left for abortUpload).
   */
  async completeUpload(
    session: UploadSession,
    parts: readonly WrittenPart[],
    digest: string | undefined,
  ): Promise<BlobLocation> {
    const { location, blobDir } = this.blobPlace(digest);
    // On this thread: a stat costs less than the hop through libuv's pool (see filesystem-publish-in-place.ts).
    if (isPublishedBlobNow(blobDir)) return location;
    const named = digest!;
    const partsDir = this.partsDir(session);
    try {
      const target = { partsDir, blobDir, digest: named };
      const outcome = await publishPartsInPlace(target, parts, this.knownShards, this.completeStep);
      if (outcome === 'published') return location;
      // A part missing from a session of this layout: a run published or aborted it meanwhile.
      if (outcome === 'lost' || partsInSessionDir(session)) return await this.publishedOrMissing(location, session);
      // A completion of an earlier version moved some parts into `publish/`: finish it that way.
      const publishDir = join(this.localPath(`uploads/${session.uploadId}`), 'publish');
      if (!(await this.stage(session, parts, named, publishDir)))
        return await this.publishedOrMissing(location, session);
      await renameIntoNewParent(publishDir, blobDir);
    } catch (error) {
      const code = errorCode(error);
      // ENOTEMPTY/EEXIST (ENOTDIR: as a file): another session published this digest first.
      // ENOENT: a concurrent or earlier run of this completion did (or the session was aborted).
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'ENOENT') {
        return this.publishedOrMissing(location, session);
      }
      throw error;
    }
    this.completeStep?.('published');
    await syncDirectory(dirname(blobDir));
    return location;
  }

  /**
   * A small blob from bytes in memory, published as one file at the blob's address: the part
   * file itself when the blob is that one part (`partNumber`), else a file written from the bytes
   * in the session's directory; every step but the fsyncs on this thread (see
   * filesystem-publish-bytes.ts). Part files not published are left for abortUpload.
   */
  async publishBytes(
    session: UploadSession,
    bytes: readonly Uint8Array[],
    digest: string,
    beforeVisible?: Promise<unknown>,
    partNumber?: number,
  ): Promise<BlobLocation> {
    const { location, blobDir } = this.blobPlace(digest);
    const sessionDir = this.localPath(`uploads/${session.uploadId}`);
    try {
      const partFile = partNumber === undefined ? undefined : this.partFile(session, partNumber);
      const target = { sessionDir, partFile, blobPath: blobDir };
      const outcome = await publishBytesInOneGo(target, bytes, this.knownShards, beforeVisible, this.completeStep);
      if (outcome === 'lost') return await this.publishedOrMissing(location, session);
      return location;
    } catch (error) {
      // ENOENT: the session is gone (aborted), or a concurrent run of this completion published it.
      if (errorCode(error) === 'ENOENT') return this.publishedOrMissing(location, session);
      throw error;
    }
  }

  /** A digest's blob location and its directory (TypeError for anything but sha256/sha512). */
  private blobPlace(digest: string | undefined): { location: BlobLocation; blobDir: string } {
    const match = digest === undefined ? null : BLOB_DIGEST.exec(digest);
    if (digest === undefined || !match) throw new TypeError(`not a sha256/sha512 digest: ${JSON.stringify(digest)}`);
    const algorithm = match[1] ?? match[3]!;
    const hex = match[2] ?? match[4]!;
    const location = `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
    return { location, blobDir: this.localPath(location) };
  }

  /**
   * How completions of earlier versions published (kept to finish one they left half done): moves
   * the committed parts into `publishDir` and writes the segment list there, all durable. False
   * when a part is neither where it was written nor staged: an earlier run published it.
   */
  private async stage(
    session: UploadSession,
    parts: readonly WrittenPart[],
    digest: string,
    publishDir: string,
  ): Promise<boolean> {
    // Not recursive: an aborted session's directory must not come back.
    await mkdir(publishDir).catch((error: unknown) =>
      errorCode(error) === 'EEXIST' ? undefined : Promise.reject(error),
    );
    for (const part of parts) {
      const staged = join(publishDir, String(part.partNumber));
      try {
        await rename(this.partFile(session, part.partNumber), staged);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
        if (!(await isFile(staged))) return false;
      }
      this.completeStep?.('part-staged');
    }
    // No temp file needed: nobody reads `publish/` before it is renamed, and a re-run rewrites it.
    const index = await writeUnsynced(join(publishDir, 'index'), JSON.stringify(blobIndexOf(digest, parts)));
    // Every fsync the rename waits for, issued together rather than one after another (the disk
    // commits them in one go): the parts' bytes, the index's, and `publish/`'s entries (the parts
    // renamed in, the index created; both happened above).
    await Promise.all([
      ...parts.map((part) => syncFile(join(publishDir, String(part.partNumber)), part.size)),
      syncAndClose(index),
      syncDirectory(publishDir),
    ]);
    this.completeStep?.('index-written');
    return true;
  }

  private async publishedOrMissing(location: BlobLocation, session: UploadSession): Promise<BlobLocation> {
    if (isPublishedBlobNow(this.localPath(location))) {
      // The winner may not have synced the directory entry yet: make it durable before we report it.
      await syncDirectory(dirname(this.localPath(location)));
      return location;
    }
    throw new UploadSessionNotFoundError(session.uploadId);
  }

  async abortUpload(session: UploadSession): Promise<void> {
    const dir = this.localPath(`uploads/${session.uploadId}`);
    const partsDir = this.partsDir(session);
    // The usual case after a completion: an emptied directory (a small blob took its one part),
    // kept for a new upload.
    if (partsDir === dir && this.spares.keep(dir, session.uploadId)) return;
    try {
      if (partsDir !== dir) await rmdir(partsDir);
      await rmdir(dir);
      return;
    } catch {
      // Parts left (an upload aborted, or a small blob written from memory), or gone already.
    }
    if (await removeSmallSession(dir, partsDir)) return;
    // Whatever the session's layout (the purge knows the id only): everything under its directory.
    await rm(dir, { recursive: true, force: true });
  }

  async *listUploads(): AsyncIterable<UploadListing> {
    for (const uploadId of await this.list('uploads')) {
      const dir = this.localPath(`uploads/${uploadId}`);
      // ctime too: a directory reused (renamed) for a new upload keeps its mtime, not its ctime.
      const times = await Promise.all(
        [dir, join(dir, 'parts'), join(dir, 'publish')].map((path) =>
          stat(path).then(
            (info) => Math.max(info.mtimeMs, info.ctimeMs),
            () => 0,
          ),
        ),
      );
      const modifiedAt = Math.max(...times);
      if (modifiedAt > 0) yield { session: { uploadId, state: {} }, modifiedAt: new Date(modifiedAt) };
    }
  }

  // --- blobs -----------------------------------------------------------------------------------

  async blobReader(location: BlobLocation, range?: ByteRange): Promise<Readable> {
    const dir = this.blobDir(location);
    const single = await openBlobFile(dir, location);
    if (single !== undefined) {
      const { handle, size } = single;
      try {
        if (range === undefined && size === 0) {
          await handle.close();
          return Readable.from([]);
        }
        const served = range === undefined ? {} : satisfiableRange(range, size);
        return handle.createReadStream({ ...served, highWaterMark: READ_CHUNK });
      } catch (error) {
        await handle.close();
        throw error;
      }
    }
    const index = await this.readIndex(location);
    const { start, end } =
      range === undefined ? { start: 0, end: index.size - 1 } : satisfiableRange(range, index.size);
    return Readable.from(readSegments(dir, index, start, end), { objectMode: false });
  }

  async statBlob(location: BlobLocation): Promise<ObjectInfo> {
    const found = await stat(this.blobDir(location)).catch((error: unknown) => {
      throw notFoundOr(error, location);
    });
    if (found.isFile()) return { size: found.size, modifiedAt: found.mtime };
    const index = await this.readIndex(location);
    const info = await stat(join(this.blobDir(location), 'index'));
    return { size: index.size, modifiedAt: info.mtime };
  }

  async deleteBlob(location: BlobLocation): Promise<void> {
    const dir = this.blobDir(location);
    // Renamed aside first, so no reader ever sees a blob with some segments gone (a blob of one
    // file goes the same way).
    const trash = join(this.rootDir, 'blobs', `.deleted-${randomBytes(8).toString('hex')}`);
    try {
      await rename(dir, trash);
    } catch (error) {
      if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) return;
      throw error;
    }
    await rm(trash, { recursive: true, force: true });
  }

  private blobDir(location: BlobLocation): string {
    if (!BLOB_LOCATION.test(location)) throw new PathNotFoundError(location);
    return this.localPath(location);
  }

  private async readIndex(location: BlobLocation): Promise<BlobIndex> {
    const file = join(this.blobDir(location), 'index');
    try {
      return parseBlobIndex(await readFile(file, 'utf8'));
    } catch (error) {
      throw notFoundOr(error, location);
    }
  }

  // --- small objects ---------------------------------------------------------------------------

  async putContent(path: string, data: Uint8Array): Promise<void> {
    const file = this.localPath(path);
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomically(file, data);
  }

  async getContent(path: string): Promise<Buffer> {
    const file = this.localPath(path);
    try {
      return await readFile(file);
    } catch (error) {
      throw notFoundOr(error, path);
    }
  }

  async delete(path: string): Promise<void> {
    const local = this.localPath(path);
    // Most deletes name one object (an image or tag record): one unlink, instead of rm's stat
    // calls. A directory (a prefix) is not unlinked: rm then removes everything under it.
    // The callback unlink costs the event loop half what fs/promises' does (a lifecycle
    // evaluation deletes two records per expired image).
    try {
      await unlink(local);
      return;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
    }
    await rm(local, { recursive: true, force: true });
  }

  async list(path: string): Promise<string[]> {
    const dir = this.localPath(path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) return [];
      throw error;
    }
    // In-flight temp files and deleted blobs are not logical paths.
    return names.filter(isValidPathSegment).sort();
  }

  private localPath(path: string): string {
    return logicalPathUnder(this.rootDir, path);
  }

  /** Where a session's part files are: its own directory, or its `parts/` (sessions made before that layout). */
  private partsDir(session: UploadSession): string {
    const dir = this.localPath(`uploads/${session.uploadId}`);
    return partsInSessionDir(session) ? dir : join(dir, 'parts');
  }
}

/** The bytes [start, end] of a blob, streamed segment by segment. */
async function* readSegments(dir: string, index: BlobIndex, start: number, end: number): AsyncGenerator<Buffer> {
  let segmentStart = 0;
  for (const segment of index.segments) {
    const segmentEnd = segmentStart + segment.size - 1;
    if (segment.size > 0 && segmentEnd >= start && segmentStart <= end) {
      const from = Math.max(start, segmentStart) - segmentStart;
      const to = Math.min(end, segmentEnd) - segmentStart;
      yield* createReadStream(join(dir, segment.name), { start: from, end: to, highWaterMark: READ_CHUNK });
    }
    segmentStart += segment.size;
    if (segmentStart > end) return;
  }
}

/**
 * The layout of the sessions this version makes: part files directly in the session's
 * directory (`uploads/<id>/<n>`), one directory made per upload, not two. A session stored
 * without it (`{}`: made by an earlier version, still in flight across an upgrade) has its parts
 * in `uploads/<id>/parts/`, and keeps them there.
 */
const SESSION_LAYOUT = { parts: 'session-dir' } as const;

function partsInSessionDir(session: UploadSession): boolean {
  return session.state.parts === SESSION_LAYOUT.parts;
}

/**
 * Removes a session directory holding only a few files (a small layer's parts and its blob file
 * written from memory, in the session's directory or its `parts/`): the files at once, then the
 * directories. False when it holds more (the caller then removes it the usual way). Through the
 * thread pool, not on this thread: removing directory entries waits on the file system's
 * journal, which under a stream of fsyncs (the bench's 64 clients) took 1–2 ms per session,
 * long enough to stall other uploads.
 */
async function removeSmallSession(dir: string, partsDir: string): Promise<boolean> {
  try {
    const names = await readdir(partsDir);
    if (names.length > SMALL_SESSION_FILES) return false;
    await Promise.all(names.map((name) => unlink(join(partsDir, name))));
    if (partsDir !== dir) await rmdir(partsDir);
    await rmdir(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Renames `from` to `to`, creating `to`'s parent when it is missing: the parent usually exists,
 * so this is one rename, not a mkdir and a stat first.
 */
async function renameIntoNewParent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    // Either the parent is missing, or `from` is (a concurrent run moved it): try once more.
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  }
}

/** Writes (replacing) a file and answers its open handle, for `syncAndClose`. */
async function writeUnsynced(file: string, text: string): Promise<FileHandle> {
  const handle = await open(file, 'w', 0o644);
  try {
    await writeFully(handle, Buffer.from(text), 0);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** fsyncs an open file and closes it. */
async function syncAndClose(handle: FileHandle): Promise<void> {
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a staged part, and check it holds the bytes its writer reported. */
/** fdatasyncs a file; false when it is gone. */
async function flushFile(file: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  try {
    await handle.datasync();
    return true;
  } finally {
    await handle.close();
  }
}

async function syncFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const info = await handle.stat();
    if (info.size !== size) throw new Error(`part file ${file} has ${info.size} bytes, not the ${size} committed`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function openFile(file: string, path: string): Promise<{ handle: FileHandle; size: number }> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw notFoundOr(error, path);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PathNotFoundError(path);
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * A blob of one file at `path`, open, with its size; undefined when `path` is a directory (a
 * blob of the directory layout); PathNotFoundError when nothing is there.
 */
async function openBlobFile(path: string, location: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw notFoundOr(error, location);
  });
  try {
    const info = await handle.stat();
    if (info.isFile()) return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
  await handle.close();
  return undefined;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) return false;
    throw error;
  }
}

function notFoundOr(error: unknown, path: string): unknown {
  return NOT_FOUND_CODES.has(errorCode(error) ?? '') ? new PathNotFoundError(path, { cause: error }) : error;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** A streamed part through the page cache, in coalesced writes (coalescing-file-writer.ts); closes `handle`. */
async function writeCoalescedAndClose(handle: FileHandle, data: AsyncIterable<Uint8Array>): Promise<number> {
  try {
    return await writeChunksCoalesced(handle, data);
  } finally {
    await handle.close();
  }
}
