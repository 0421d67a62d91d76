import { v8Gc } from '@longshore/digest';

/**
 * Settles the bench's own garbage collection before a timed completion starts, the same for every
 * door and for the peer registry: one full collection now, so that none falls into the window.
 * The client sends a large layer in 10 MiB parts; V8 started a major collection of its heap
 * (incremental marking, then a compacting pause, with helper threads on both cores) near the end
 * of the upload at a moment set by its own allocation, and when that moment fell into the
 * completion the window held 26–28 ms of the bench's own CPU (docs/performance.md, done26). Where
 * `gc` cannot be had, this does nothing. Only before a lone measured push's completion
 * (`measureCpu`): while other pushes of the client upload (four-large-layers), a full collection
 * would stall their sends.
 */
export function settleClientGc(): void {
  // Without options: a full, synchronous collection.
  v8Gc()?.();
}
