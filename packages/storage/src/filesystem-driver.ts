import { randomBytes } from 'node:crypto';
import {
  constants,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { satisfiableRange } from './byte-range.js';
import { PathNotFoundError } from './errors.js';
import { isValidPathSegment, resolveLogicalPath } from './logical-path.js';
import type { FileInfo, LegacyStorageDriver as StorageDriver, MoveOutcome } from './legacy-storage-driver.js';
import type { ByteRange } from './storage-driver.js';

export interface FilesystemDriverOptions {
  /** Directory every logical path resolves under; created on the first write. */
  rootDir: string;
}

export function createFilesystemDriver(options: FilesystemDriverOptions): StorageDriver {
  return new FilesystemDriver(resolve(options.rootDir));
}

// ENOTDIR: a parent segment is a file. EISDIR: the path is a directory, not a file.
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);
// Filesystems without hard links (SMB, some FUSE mounts) answer link() with one of these.
const LINK_UNSUPPORTED_CODES = new Set(['EPERM', 'EXDEV', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  // Without link() a move cannot be exclusive across processes; within this process the
  // fallback moves are serialised so that exactly one of them reports 'moved'.
  private fallbackMoves: Promise<unknown> = Promise.resolve();

  constructor(private readonly rootDir: string) {}

  localPath(path: string): string {
    return resolveLogicalPath(this.rootDir, path);
  }

  async writeAt(path: string, offset: number, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<number> {
    const file = this.localPath(path);
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    }
    await mkdir(dirname(file), { recursive: true });
    // Neither O_TRUNC nor O_APPEND: each part lands at its own offset, and a retried part
    // rewrites its range in place.
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT, 0o644);
    try {
      if (data instanceof Uint8Array) return await writeFully(handle, data, offset);
      let written = 0;
      for await (const chunk of data) {
        if (!(chunk instanceof Uint8Array)) throw new TypeError('writeAt streams must yield Uint8Array chunks');
        written += await writeFully(handle, chunk, offset + written);
      }
      return written;
    } finally {
      await handle.close();
    }
  }

  async sync(path: string): Promise<void> {
    // fsync flushes the inode whatever the descriptor's access mode, so read-only is enough.
    const { handle } = await openFile(this.localPath(path), path);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async truncate(path: string, size: number): Promise<void> {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid size ${size}`);
    const { handle } = await openFile(this.localPath(path), path, 'r+');
    try {
      await handle.truncate(size);
    } finally {
      await handle.close();
    }
  }

  async putContent(path: string, data: Uint8Array): Promise<void> {
    const file = this.localPath(path);
    const dir = dirname(file);
    await mkdir(dir, { recursive: true });
    // The leading dot makes the temp name an invalid logical segment: it can never collide with
    // a logical path, and list() leaves it out.
    const temp = join(dir, `.${basename(file)}.tmp-${randomBytes(8).toString('hex')}`);
    try {
      const handle = await open(temp, 'wx', 0o644);
      try {
        await writeFully(handle, data, 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(dir);
  }

  async getContent(path: string): Promise<Buffer> {
    const file = this.localPath(path);
    try {
      return await readFile(file);
    } catch (error) {
      throw notFoundOr(error, path);
    }
  }

  async reader(path: string, range?: ByteRange): Promise<NodeJS.ReadableStream & AsyncIterable<Buffer>> {
    // Range and stream come from one descriptor, so a concurrent replacement cannot skew them.
    const { handle, size } = await openFile(this.localPath(path), path);
    try {
      return handle.createReadStream(range === undefined ? {} : satisfiableRange(range, size));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const file = this.localPath(path);
    const info = await stat(file).catch((error: unknown) => {
      throw notFoundOr(error, path);
    });
    if (!info.isFile()) throw new PathNotFoundError(path);
    return { size: info.size, modifiedAt: info.mtime };
  }

  async move(src: string, dst: string): Promise<MoveOutcome> {
    const srcFile = this.localPath(src);
    const dstFile = this.localPath(dst);
    const dstDir = dirname(dstFile);
    // link() to itself answers EEXIST, and the src removal that follows would lose the file.
    if (srcFile === dstFile) return this.keepExisting(undefined, dstFile, dst);
    await mkdir(dstDir, { recursive: true });
    try {
      // link() never replaces dst: EEXIST is what makes the first writer win, across processes too.
      await link(srcFile, dstFile);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') return this.keepExisting(srcFile, dstFile, dst);
      if (code === 'ENOENT') return this.keepExisting(undefined, dstFile, src);
      if (code !== undefined && LINK_UNSUPPORTED_CODES.has(code)) return this.renameSerially(srcFile, dstFile, src);
      throw error;
    }
    await removeFile(srcFile);
    await syncDirectory(dstDir);
    return 'moved';
  }

  async delete(path: string): Promise<void> {
    await rm(this.localPath(path), { recursive: true, force: true });
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
    // In-flight putContent temp files are not logical paths.
    return names.filter(isValidPathSegment).sort();
  }

  /**
   * The 'exists' outcome: dst must be there (else PathNotFoundError naming `missingPath`), src
   * (if any) is removed, and the dst entry is made durable before we report it, since the
   * winning mover may not have synced the directory yet.
   */
  private async keepExisting(srcFile: string | undefined, dstFile: string, missingPath: string): Promise<MoveOutcome> {
    if (!(await isFile(dstFile))) throw new PathNotFoundError(missingPath);
    if (srcFile !== undefined) await removeFile(srcFile);
    await syncDirectory(dirname(dstFile));
    return 'exists';
  }

  private renameSerially(srcFile: string, dstFile: string, src: string): Promise<MoveOutcome> {
    const outcome = this.fallbackMoves.then(() => this.renameUnlessPresent(srcFile, dstFile, src));
    this.fallbackMoves = outcome.catch(() => undefined);
    return outcome;
  }

  private async renameUnlessPresent(srcFile: string, dstFile: string, src: string): Promise<MoveOutcome> {
    if (await isFile(dstFile)) return this.keepExisting(srcFile, dstFile, src);
    try {
      await rename(srcFile, dstFile);
    } catch (error) {
      throw notFoundOr(error, src);
    }
    await syncDirectory(dirname(dstFile));
    return 'moved';
  }
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
  return done;
}

async function openFile(file: string, path: string, flags = 'r'): Promise<{ handle: FileHandle; size: number }> {
  const handle = await open(file, flags).catch((error: unknown) => {
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

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) return false;
    throw error;
  }
}

async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function notFoundOr(error: unknown, path: string): unknown {
  return NOT_FOUND_CODES.has(errorCode(error) ?? '') ? new PathNotFoundError(path, { cause: error }) : error;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
