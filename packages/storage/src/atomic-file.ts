import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes all of `bytes` at `position`, however many writes it takes; resolves with the count. */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
  return done;
}

/** Makes a directory's entries (a rename, a new file) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes to a temp file beside `file`, fsyncs it, renames it over `file` and fsyncs the
 * directory: readers see the old content or the new, never a partial one, and a crash leaves one
 * of the two. The temp name starts with a dot (never a valid logical path segment of the
 * filesystem driver, whose list() leaves it out). `mode`: the new file's permissions.
 */
export async function writeFileAtomically(file: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.tmp-${randomBytes(8).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await writeFully(handle, typeof data === 'string' ? Buffer.from(data) : data, 0);
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
