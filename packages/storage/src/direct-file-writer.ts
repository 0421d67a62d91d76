import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DIRECT_ALIGNMENT, SLAB_BYTES, type Arena } from './aligned-slabs.js';
import { writeFully } from './filesystem-files.js';

/**
 * Opens a new file at `path` (created exclusively, as the coalescing writer's `wx`) for direct
 * writes (O_DIRECT: from the caller's memory to the disk, past the page cache). `undefined` when
 * the file system refuses direct I/O: the file is then made (or, when the refused open made it
 * already, reopened) for ordinary writes by the caller, `direct: false`.
 */
export async function openForDirectWrites(path: string): Promise<{ handle: FileHandle; direct: boolean }> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  try {
    return { handle: await open(path, flags | constants.O_DIRECT, 0o644), direct: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  }
  // Linux creates the file before it refuses O_DIRECT (an existing file would have been EEXIST).
  try {
    return { handle: await open(path, flags, 0o644), direct: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { handle: await open(path, constants.O_WRONLY), direct: false };
  }
}

/**
 * Writes a stream of chunks from position 0 of the file `direct` (opened by openForDirectWrites)
 * and returns how many bytes it wrote. Each chunk is copied into the arena's current
 * slab as it arrives, so the chunk is free at once; a full slab is written straight to the disk
 * while the next one fills (up to three writes in flight, then the source waits for the oldest).
 *
 * Why: on the development machine, 1 GiB written through the page cache cost libuv's pool
 * 1.2 s of system CPU per GiB with four streams at once (fresh page-cache pages, each faulted in;
 * 0.25–2 s in a plain write loop), and the worker's fdatasync wrote it all again later. Written
 * direct, the same gigabyte costs 0.1–0.2 s and the fdatasync has only metadata left to flush.
 * Durability is as before: nothing here is fsynced; the part's flush job or completion does it.
 *
 * The part's last bytes that do not fill a DIRECT_ALIGNMENT block, and any write the file system
 * refuses as direct (EINVAL), go through a second, ordinary descriptor of the same file once the
 * direct writes before them are done. A failed write fails the call; the source's error is
 * thrown once no write is in flight (the caller closes `direct` afterwards).
 */
export async function writeChunksDirect(
  direct: FileHandle,
  /** Opens the same file for ordinary writes (e.g. `open(path, O_WRONLY)`, its errors worded by the caller). */
  reopen: () => Promise<FileHandle>,
  source: AsyncIterable<Uint8Array>,
  arena: Arena,
): Promise<number> {
  const { slabs } = arena;
  const busy: (Promise<void> | undefined)[] = slabs.map(() => undefined);
  let failure: unknown;
  let plain: Promise<FileHandle> | undefined;
  let position = 0;
  let index = 0;
  let fill = 0;

  const ordinary = (): Promise<FileHandle> => (plain ??= reopen());
  const submit = (slab: number, length: number, at: number): void => {
    busy[slab] = writeSlab(slabs[slab]!.subarray(0, length), at).then(
      () => {
        busy[slab] = undefined;
      },
      (err: unknown) => {
        failure ??= err;
        busy[slab] = undefined;
      },
    );
  };
  /** A direct write, or through the ordinary descriptor when the file system refuses it as direct. */
  async function writeSlab(bytes: Uint8Array, at: number): Promise<void> {
    const { written } = await writeDirectBlocks(direct, bytes, at);
    if (written < bytes.byteLength) await writeOrdinary(bytes.subarray(written), at + written);
  }
  async function writeOrdinary(bytes: Uint8Array, at: number): Promise<void> {
    await writeFully(await ordinary(), bytes, at);
  }
  async function settle(): Promise<void> {
    await Promise.all(busy);
  }

  try {
    for await (const chunk of source) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('writePart streams must yield Uint8Array chunks');
      if (failure !== undefined) throw failure;
      let offset = 0;
      while (offset < chunk.byteLength) {
        const taken = Math.min(SLAB_BYTES - fill, chunk.byteLength - offset);
        slabs[index]!.set(
          offset === 0 && taken === chunk.byteLength ? chunk : chunk.subarray(offset, offset + taken),
          fill,
        );
        fill += taken;
        offset += taken;
        if (fill < SLAB_BYTES) continue;
        submit(index, SLAB_BYTES, position);
        position += SLAB_BYTES;
        fill = 0;
        index = (index + 1) % slabs.length;
        if (busy[index]) await busy[index];
        if (failure !== undefined) throw failure;
      }
    }
    const aligned = fill - (fill % DIRECT_ALIGNMENT);
    if (aligned > 0) submit(index, aligned, position);
    await settle();
    if (failure !== undefined) throw failure;
    if (fill > aligned) await writeOrdinary(slabs[index]!.subarray(aligned, fill), position + aligned);
    return position + fill;
  } finally {
    await settle();
    if (plain) await (await plain.catch(() => undefined))?.close();
  }
}

/**
 * Writes the whole DIRECT_ALIGNMENT blocks at the start of `bytes` at `at` through `direct`, an
 * O_DIRECT descriptor: how many bytes went, up to the first short write (its unaligned rest, as
 * the bytes after the last whole block, are the caller's to write the ordinary way); `refused`
 * when the kernel refused the write as direct (EINVAL: the memory or the position is off the
 * block). Any other error is thrown.
 */
export async function writeDirectBlocks(
  direct: FileHandle,
  bytes: Uint8Array,
  at: number,
): Promise<{ written: number; refused: boolean }> {
  const blocks = bytes.byteLength - (bytes.byteLength % DIRECT_ALIGNMENT);
  let written = 0;
  try {
    while (written < blocks) {
      const { bytesWritten } = await direct.write(bytes, written, blocks - written, at + written);
      written += bytesWritten;
      if (written % DIRECT_ALIGNMENT !== 0) break;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    return { written, refused: true };
  }
  return { written, refused: false };
}
