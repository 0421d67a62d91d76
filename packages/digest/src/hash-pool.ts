import { Piscina } from 'piscina';
import { PartMissingError, ShortReadError } from '@longshore/storage';
import type { AdvancePartTask, ChecksumFileRangeTask, HashFileRangesTask, HashFileRangeTask } from './hash-task.js';
import type { PartProgress } from './part-progress.js';
import type { IngestPartResult, IngestPartTask } from './ingest-task.js';

/**
 * Hashing on threads. The file tasks reject with PartMissingError for a file that is gone and
 * ShortReadError for one shorter than its range (rebuilt from a code: ThreadFailure below).
 */
export interface HashPool {
  hashFileRange(task: HashFileRangeTask): Promise<string>;
  /** One SHA-256 over several file ranges in order (a layer's part files), on a pool thread. */
  hashFileRanges(task: HashFileRangesTask): Promise<string>;
  /** The part checksum (`crc32c:<hex>` or sha256 hex) of a file's byte range, on a pool thread. */
  checksumFileRange(task: ChecksumFileRangeTask): Promise<string>;
  /**
   * Writes a part into its own new local file and hashes it, on a pool thread. The data is moved,
   * not copied, with the whole ArrayBuffer it lies in (see `transferable`): don't use either afterwards.
   */
  ingestPart(task: IngestPartTask): Promise<IngestPartResult>;
  /** Hashes a part on a pool thread (for drivers the thread cannot write to). */
  hashPart(task: Pick<IngestPartTask, 'data' | 'layerState' | 'checksum'>): Promise<IngestPartResult>;
  /**
   * Advances a part's hashes over one more batch of its bytes, on a pool thread (part-progress.ts).
   * The batch is read where it lies: memory shared with the thread (a SharedArrayBuffer) is not
   * copied; the caller keeps it unchanged until this settles.
   */
  advancePart(task: AdvancePartTask): Promise<PartProgress>;
  /** The most threads the pool runs at once (HASH_THREADS). */
  readonly threads: number;
  /** Threads running now: they start on demand and exit when idle (HASH_THREAD_IDLE_MS). */
  liveThreads(): number;
  /** Fraction of the pool's capacity busy since the pool started (0..1). */
  utilization(): number;
  close(): Promise<void>;
}

/**
 * The compiled task file. Under vitest this module runs from `src/` as TypeScript, which a
 * worker thread cannot load, so it points at the build output (`npm test` builds first).
 */
function taskFile(): string {
  const here = new URL('.', import.meta.url);
  const file = here.pathname.endsWith('/src/')
    ? new URL('../dist/hash-task.js', here)
    : new URL('./hash-task.js', here);
  return file.href;
}

/**
 * The threads' Node flags: the parent's, inherited as Node passes them on (undefined), unless it has
 * resolve conditions. The threads run compiled code, and the packages they import (storage's
 * writePartFileSync) from their dist/: under vitest the parent runs with `--conditions source`,
 * which would send a thread to a package's TypeScript sources, so then the list is given without
 * them. Only then: a list given explicitly must hold flags a thread takes, and Node refuses one
 * with a per-process flag such as `--trace-gc` (ERR_WORKER_INVALID_EXEC_ARGV: no thread would
 * start), while inherited ones are simply left to the process.
 */
export function threadExecArgv(parentArgs: readonly string[] = process.execArgv): string[] | undefined {
  const isCondition = (arg: string) => arg === '--conditions' || arg === '-C' || arg.startsWith('--conditions=');
  if (!parentArgs.some(isCondition)) return undefined;
  const args: string[] = [];
  for (let i = 0; i < parentArgs.length; i += 1) {
    const arg = parentArgs[i]!;
    if (arg === '--conditions' || arg === '-C') i += 1;
    else if (!arg.startsWith('--conditions=')) args.push(arg);
  }
  return args;
}

/**
 * The part's memory is moved to the thread (no copy) unless it is one of Node's pooled small
 * buffers, which share their ArrayBuffer with others (those are copied, so their neighbours stay
 * intact). A view on part of a larger ArrayBuffer moves that whole ArrayBuffer: the caller hands
 * the part over and uses none of it afterwards (a decoded ECR part, a slice of its own buffer).
 */
function transferable(data: Uint8Array): ArrayBuffer[] | undefined {
  if (!(data.buffer instanceof ArrayBuffer)) return undefined;
  const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return owned || data.buffer.byteLength > Buffer.poolSize ? [data.buffer] : undefined;
}

/** The typed storage error a file task's failure code stands for (ThreadFailure below). */
function rebuilt(failure: ThreadFailure): Error {
  return failure.threadFailure === 'short-read'
    ? new ShortReadError(failure.path, failure.end)
    : new PartMissingError(failure.path);
}

async function fileResult(result: Promise<unknown>): Promise<string> {
  const value = await result;
  if (isThreadFailure(value)) throw rebuilt(value);
  return value as string;
}

/**
 * A pool of up to `threads` threads, so hashing runs in parallel and off the event loop. The
 * threads start on demand, when a task finds none free, and one left idle for `idleMs` exits:
 * each is a V8 isolate of about 9 MiB, and a process that only takes small parts (hashed inline)
 * or serves listings never starts one.
 */
export function createHashPool(threads: number, options: { idleMs?: number } = {}): HashPool {
  const pool = new Piscina({
    filename: taskFile(),
    minThreads: 0,
    maxThreads: threads,
    // Tasks reach an idle thread through its message port alone: piscina's default also wakes it
    // with Atomics.notify per task, which the ECR door's profile put at 0.35 s of the event loop
    // per GiB (ten 1 MiB batches per part, part-prehash.ts), against 0.08 s for the port's post.
    atomics: 'disabled',
    idleTimeout: options.idleMs ?? 30_000,
    execArgv: threadExecArgv(),
  });
  return {
    threads,
    hashFileRange: (task) => fileResult(pool.run(task, { name: 'hashFileRange' })),
    hashFileRanges: (task) => fileResult(pool.run(task, { name: 'hashFileRanges' })),
    checksumFileRange: (task) => fileResult(pool.run(task, { name: 'checksumFileRange' })),
    ingestPart: (task) =>
      pool.run(task, { name: 'ingestPart', transferList: transferable(task.data) }) as Promise<IngestPartResult>,
    hashPart: (task) => pool.run(task, { name: 'hashPartTask' }) as Promise<IngestPartResult>,
    advancePart: (task) => pool.run(task, { name: 'advancePartTask' }) as Promise<PartProgress>,
    liveThreads: () => pool.threads.length,
    utilization: () => pool.utilization,
    close: () => pool.destroy(),
  };
}

/**
 * A file task's known failure, sent back from a pool thread as a value: an error crossing a
 * thread keeps only its message (structured clone drops its class, `name` and `code`), so the
 * caller's side rebuilds the typed error from this code (rebuilt above), never from the text.
 */
export type ThreadFailure =
  | { threadFailure: 'part-missing'; path: string }
  | { threadFailure: 'short-read'; path: string; end: number };

export function isThreadFailure(value: unknown): value is ThreadFailure {
  return typeof value === 'object' && value !== null && 'threadFailure' in value;
}
