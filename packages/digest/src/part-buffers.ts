/**
 * Reused memory for large parts that move to a hash thread and come back (the ECR door's decoded
 * parts: `HashPool.ingestPart` hands the memory back once the thread has written and hashed it).
 *
 * Why: the API runs with `MALLOC_MMAP_THRESHOLD_` of 1 MiB (for its RSS), so every fresh 10 MiB
 * buffer is a new mapping whose pages fault in one by one as the base64 is decoded into it: 36–39
 * ms per part on the main thread, against about 3 ms into memory used before. The pool keeps a
 * few of them, bounded in bytes, and lets them go after a quiet spell so an idle API shrinks back.
 */
export interface PartBuffers {
  /**
   * A buffer of exactly `size` bytes (its contents undefined), on memory used before when the pool
   * holds a piece large enough; the buffer's ArrayBuffer may be larger than `size`.
   */
  take(size: number): Buffer;
  /** Memory handed back (by a hash thread), for a later `take`. */
  give(memory: ArrayBuffer): void;
  /** Bytes held for reuse now. */
  heldBytes(): number;
}

export interface PartBuffersOptions {
  /** Most bytes held for reuse at once. */
  maxBytes: number;
  /** Smaller requests and returns are not pooled (those parts are hashed inline, never handed back). */
  minBytes: number;
  /** Held memory is let go after this long without a `give`. */
  idleMs: number;
}

export const DEFAULT_PART_BUFFERS: PartBuffersOptions = {
  maxBytes: 64 * 1024 * 1024,
  minBytes: 1024 * 1024,
  idleMs: 10_000,
};

export function createPartBuffers(options: PartBuffersOptions = DEFAULT_PART_BUFFERS): PartBuffers {
  /** Held pieces, smallest first. */
  let held: ArrayBuffer[] = [];
  let heldBytes = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const letGo = () => {
    held = [];
    heldBytes = 0;
  };
  return {
    take(size) {
      if (size >= options.minBytes) {
        // The smallest piece that fits, but not one over twice the size (a 20 MiB piece for 1 MiB).
        const at = held.findIndex((memory) => memory.byteLength >= size && memory.byteLength <= size * 2);
        if (at >= 0) {
          const [memory] = held.splice(at, 1);
          heldBytes -= memory!.byteLength;
          return Buffer.from(memory!, 0, size);
        }
      }
      return Buffer.allocUnsafeSlow(size);
    },
    give(memory) {
      if (memory.byteLength < options.minBytes || memory.byteLength > options.maxBytes) return;
      held.push(memory);
      held.sort((a, b) => a.byteLength - b.byteLength);
      heldBytes += memory.byteLength;
      // Over the bound: the smallest pieces go first (the large ones are the costly ones to fault in).
      while (heldBytes > options.maxBytes) heldBytes -= held.shift()!.byteLength;
      if (idleTimer) idleTimer.refresh();
      else idleTimer = setTimeout(letGo, options.idleMs).unref();
    },
    heldBytes: () => heldBytes,
  };
}
