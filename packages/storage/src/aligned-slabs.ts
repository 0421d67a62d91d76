/** Bytes of one slab: the unit a direct write takes (see direct-file-writer.ts). */
export const SLAB_BYTES = 1024 * 1024;
/** Slabs of one arena: one being filled and up to three being written, per stream. */
export const SLABS_PER_ARENA = 4;
/** The alignment O_DIRECT asks of a write's memory, length and file offset (4 KiB covers every usual disk). */
export const DIRECT_ALIGNMENT = 4096;
/** Arenas kept for the next streams once their stream ended: about one per stream of four at once per process. */
const IDLE_ARENAS_KEPT = 2;
/**
 * Arenas one process lends at once (16 MiB). A stream beyond these (many large uploads at once)
 * is written through the page cache instead, so the memory direct writes hold stays bounded
 * however many streams arrive together.
 */
export const ARENAS_IN_USE_MAX = 4;

const WASM_PAGE_BYTES = 64 * 1024;

/** The one WebAssembly class used here (the project's TypeScript libs carry no WebAssembly types). */
interface WasmMemoryClass {
  new (descriptor: { initial: number; maximum: number }): { readonly buffer: ArrayBuffer };
}
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryClass } }).WebAssembly.Memory;

/** Page-aligned memory for one stream's direct writes: SLABS_PER_ARENA slabs of SLAB_BYTES. */
export interface Arena {
  readonly slabs: readonly Uint8Array[];
}

/**
 * A process's page-aligned memory for direct file writes. Node has no aligned allocation, but a
 * WebAssembly.Memory's buffer starts on a page of its own (V8 maps it), so each arena is one such
 * memory, sliced into slabs at multiples of SLAB_BYTES. An arena belongs to one stream at a time;
 * a few are kept for the next streams (their pages stay resident: 4 MiB each), the rest are left
 * to the garbage collector. `undefined` when ARENAS_IN_USE_MAX are lent already, or when V8
 * cannot map one more (its address space for wasm memories is bounded): the caller then writes
 * through the page cache.
 */
export class ArenaPool {
  private readonly idle: Arena[] = [];
  private inUse = 0;

  constructor(private readonly inUseMax = ARENAS_IN_USE_MAX) {}

  take(): Arena | undefined {
    if (this.inUse >= this.inUseMax) return undefined;
    const arena = this.idle.pop() ?? this.allocate();
    if (arena) this.inUse += 1;
    return arena;
  }

  give(arena: Arena): void {
    this.inUse -= 1;
    if (this.idle.length < IDLE_ARENAS_KEPT) this.idle.push(arena);
  }

  private allocate(): Arena | undefined {
    let memory: { readonly buffer: ArrayBuffer };
    try {
      const pages = (SLABS_PER_ARENA * SLAB_BYTES) / WASM_PAGE_BYTES;
      memory = new WasmMemory({ initial: pages, maximum: pages });
    } catch {
      return undefined;
    }
    const slabs = Array.from(
      { length: SLABS_PER_ARENA },
      (_, i) => new Uint8Array(memory.buffer, i * SLAB_BYTES, SLAB_BYTES),
    );
    return { slabs };
  }
}
