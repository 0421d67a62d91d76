import { closeSync, constants, openSync, writeSync } from 'node:fs';

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
