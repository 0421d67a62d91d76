import type { FileHandle } from 'node:fs/promises';

/** The most bytes gathered while a write is in flight before the source is made to wait. */
const MAX_PENDING_BYTES = 2 * 1024 * 1024;

/**
 * Writes a stream of chunks to a file from position 0 and returns how many bytes it wrote. While
 * one write is in flight the next chunks are already taken from the source and gathered, then
 * written together with one `writev`: a network body (chunks of 16–64 KiB) keeps flowing instead
 * of waiting for the disk after every chunk, and the file gets a few large writes, not hundreds
 * of small ones. At most MAX_PENDING_BYTES wait in memory; a failed write fails the whole call.
 */
export async function writeChunksCoalesced(handle: FileHandle, source: AsyncIterable<Uint8Array>): Promise<number> {
  let position = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let inFlight: Promise<void> | undefined;
  let failure: unknown;
  /** The source failed: nothing more is started on a handle the caller is about to close. */
  let stopped = false;

  const flush = (): void => {
    const buffers = pending;
    const at = position;
    position += pendingBytes;
    pending = [];
    pendingBytes = 0;
    inFlight = writeAllAt(handle, buffers, at).then(
      () => {
        inFlight = undefined;
        if (pending.length > 0 && failure === undefined && !stopped) flush();
      },
      (err: unknown) => {
        failure = err;
        inFlight = undefined;
      },
    );
  };

  try {
    for await (const chunk of source) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('writePart streams must yield Uint8Array chunks');
      if (failure !== undefined) throw failure;
      if (chunk.byteLength === 0) continue;
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (!inFlight) flush();
      else if (pendingBytes >= MAX_PENDING_BYTES) await drain();
    }
    await drain();
  } catch (err) {
    stopped = true;
    // Let a write in flight end before the caller closes the handle.
    await inFlight;
    throw err;
  }
  return position;

  /** Waits until nothing is in flight or pending (each finished write starts the next batch). */
  async function drain(): Promise<void> {
    while (inFlight) {
      await inFlight;
      if (failure !== undefined) throw failure;
    }
    if (pending.length > 0) {
      flush();
      await drain();
    }
    if (failure !== undefined) throw failure;
  }
}

/** Writes `buffers` one after another at `position`, however many calls the OS needs. */
async function writeAllAt(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    at += bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
}

/** The buffers after the first `count` bytes of them. */
function skipBytes(buffers: Uint8Array[], count: number): Uint8Array[] {
  let left = count;
  let index = 0;
  while (index < buffers.length && left >= buffers[index]!.byteLength) {
    left -= buffers[index]!.byteLength;
    index += 1;
  }
  const rest = buffers.slice(index);
  if (left > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(left);
  return rest;
}
