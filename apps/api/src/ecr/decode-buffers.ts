/**
 * The memory the ECR door decodes UploadLayerPart's base64 into, reused from part to part.
 *
 * A fresh 10 MiB buffer per part costs more than its decode: with MALLOC_MMAP_THRESHOLD_ at
 * 1 MiB it is a new mapping, faulted in page by page as the base64 is written into it (about
 * 35–40 ms of a part's ~45 ms decode), and then garbage for the next GC. A few slots, kept here
 * and lent to one request at a time, are faulted in once.
 *
 * The slots are SharedArrayBuffers: the hash thread that writes and hashes a part reads the very
 * memory the main thread decoded into (structured clone shares it, nothing is moved or copied),
 * and the main thread keeps owning it. An earlier pool of moved ArrayBuffers handed back by the
 * thread raised the API's RSS (the memory waited for the main thread's GC); here the memory never
 * changes hands, and the resident bound is the number of slots times the largest part decoded.
 * A request takes a slot while its body arrives and gives it back once its answer is decided (the
 * thread is done with it then); when every slot is lent, a request decodes into a fresh buffer as
 * before. Slots left unused for `idleMs` are dropped, so an idle API gives the memory back.
 *
 * A slot starts on a page boundary (a shared WebAssembly.Memory: V8 maps it on pages of its own;
 * Node has no aligned allocation otherwise), so the staged file can write the decoded bytes
 * straight to the disk (O_DIRECT, storage's staged-part-file.ts) without copying them.
 */

/** A decode buffer lent to one request: give it back with `release` once nothing reads it any more. */
export interface DecodeLease {
  readonly buffer: Buffer;
  release(): void;
}

export interface DecodeBuffersOptions {
  /** The most slots kept (and lent at once). */
  slots: number;
  /** Each slot's size: the largest part it takes (only the pages written become resident). */
  slotBytes: number;
  /** Free slots are dropped after this long without a request taking one. */
  idleMs: number;
  /** Smaller parts (a small layer's one part) take fresh memory: no slot, no staging (part-staging.ts). */
  minBytes?: number;
}

export class DecodeBuffers {
  private readonly free: SharedArrayBuffer[] = [];
  private lent = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DecodeBuffersOptions) {}

  /** A buffer of exactly `size` bytes: a view on a free slot, or fresh memory when none fits (or it is small). */
  take(size: number): DecodeLease {
    const small = size < (this.options.minBytes ?? 0);
    if (small || size > this.options.slotBytes || this.lent >= this.options.slots) {
      return { buffer: Buffer.allocUnsafeSlow(size), release: () => undefined };
    }
    const memory = this.free.pop() ?? sharedPageAligned(this.options.slotBytes);
    this.lent += 1;
    this.stopIdleTimer();
    let released = false;
    return {
      buffer: Buffer.from(memory, 0, size),
      release: () => {
        if (released) return;
        released = true;
        this.lent -= 1;
        this.free.push(memory);
        this.startIdleTimer();
      },
    };
  }

  /** Slots kept now, lent or free (for tests). */
  get kept(): number {
    return this.lent + this.free.length;
  }

  private startIdleTimer(): void {
    this.stopIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.free.length = 0;
    }, this.options.idleMs);
    this.idleTimer.unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

const WASM_PAGE_BYTES = 64 * 1024;

/** The one WebAssembly class used here (the project's TypeScript libs carry no WebAssembly types). */
interface SharedWasmMemoryClass {
  new (descriptor: { initial: number; maximum: number; shared: true }): { readonly buffer: SharedArrayBuffer };
}
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: SharedWasmMemoryClass } }).WebAssembly.Memory;

/**
 * Shared memory of at least `bytes` starting on a page: a shared WebAssembly.Memory's buffer, or
 * a plain SharedArrayBuffer (unaligned: the staged file then writes through the page cache) when
 * V8 cannot map one more (its address space for wasm memories is bounded).
 */
function sharedPageAligned(bytes: number): SharedArrayBuffer {
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
  try {
    return new WasmMemory({ initial: pages, maximum: pages, shared: true }).buffer;
  } catch {
    return new SharedArrayBuffer(bytes);
  }
}
