import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';

/**
 * Writes a part into its own new file at `path` (from a local-parts driver's `partPath`),
 * synchronously, for a hash thread that writes the part while it hashes it. The file is created
 * exclusively: a part file belongs to one claim and is never written twice (EEXIST), and a
 * missing directory (an aborted upload) is an error (ENOENT), never recreated.
 *
 * A module of its own (`@longshore/storage/local-part-file`) so a thread loads only this, not
 * the drivers.
 */
export function writePartFileSync(path: string, data: Uint8Array): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    let written = 0;
    while (written < data.byteLength) {
      written += writeSync(fd, data, written, data.byteLength - written, written);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the first `length` bytes of the part file at `path`, synchronously: for a small layer's
 * finalization, where open, read and close on the calling thread cost tens of microseconds
 * against a thread-pool hop each. Throws the file system's error (ENOENT: the part is gone), or
 * a RangeError with `code` 'ESHORT' when the file holds fewer than `length` bytes.
 */
export function readPartFileSync(path: string, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  const fd = openSync(path, constants.O_RDONLY);
  try {
    let read = 0;
    while (read < length) {
      const got = readSync(fd, bytes, read, length - read, read);
      if (got === 0)
        throw Object.assign(new RangeError(`${path} ends at byte ${read}, before ${length}`), { code: 'ESHORT' });
      read += got;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}
