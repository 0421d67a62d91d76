import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let minorGc: Gc | null | undefined;

/**
 * Frees the part buffers a pool thread was handed, at once. A hash thread receives a part of up
 * to 20 MiB per task (moved or copied from the caller) and allocates almost nothing else, so its
 * isolate would collect the dead parts only once tens of megabytes of them had piled up (V8's
 * external-memory trigger), per thread. A minor GC (a scavenge of the thread's tiny young
 * generation, well under a millisecond) after each task frees them; measured with 60 parts of
 * 10 MiB through two threads: peak RSS 137 MiB without, 114 with (one part alone: 108).
 * The callers must have dropped their references to the part first. Where `gc` cannot be had,
 * this does nothing.
 */
export function collectYoungGarbage(): void {
  if (minorGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      minorGc = runInNewContext('gc') as Gc;
    } catch {
      minorGc = null;
    }
  }
  minorGc?.({ type: 'minor' });
}
