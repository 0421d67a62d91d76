import type { ByteRange } from './storage-driver.js';

/** TEMPORARY: the port before the upload-session reshape, until the filesystem driver moves over. */

export interface FileInfo {
  size: number;
  modifiedAt: Date;
}

/** 'exists': dst was already published by someone else and was kept ("first writer wins"). */
export type MoveOutcome = 'moved' | 'exists';

/**
 * The storage port every backend implements, modeled on CNCF distribution's
 * `registry/storage/driver/storagedriver.go`. Paths are logical (see `validateLogicalPath`);
 * every method rejects an invalid one with InvalidPathError before touching storage.
 * getContent, reader, stat and sync throw PathNotFoundError where no file exists at the path.
 */
export interface LegacyStorageDriver {
  readonly name: string;
  /**
   * Writes data at byte `offset` of the file at `path`, creating it and its parents; never
   * truncates. Returns bytes written. An async iterable (a request stream) is streamed chunk by
   * chunk, never buffered whole.
   */
  writeAt(path: string, offset: number, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<number>;
  /** Makes the file's bytes durable (fsync). */
  sync(path: string): Promise<void>;
  /** Cuts the file to `size` bytes (bytes beyond a retried, shorter write must not be published). */
  truncate(path: string, size: number): Promise<void>;
  /** Whole-content write, atomic: readers see the old content or the new, never a partial file. */
  putContent(path: string, data: Uint8Array): Promise<void>;
  getContent(path: string): Promise<Buffer>;
  /**
   * A stream of the file, or of an inclusive byte range of it. RangeNotSatisfiableError when
   * start > end or start >= size; end is clamped to size - 1.
   */
  reader(path: string, range?: ByteRange): Promise<NodeJS.ReadableStream & AsyncIterable<Buffer>>;
  stat(path: string): Promise<FileInfo>;
  /**
   * Atomically publishes src at dst. If dst already exists it is kept, src is removed and the
   * outcome is 'exists'; also 'exists' when src is missing but dst exists; PathNotFoundError when
   * both are missing. Of concurrent moves to one dst exactly one is 'moved', and dst is never
   * partial. The dst directory entry is durable when the promise resolves.
   */
  move(src: string, dst: string): Promise<MoveOutcome>;
  /** Removes a file or a whole directory tree; no error if missing. */
  delete(path: string): Promise<void>;
  /** Names of the immediate children of a directory path ([] if missing), sorted. */
  list(path: string): Promise<string[]>;
  /**
   * For local drivers, the absolute filesystem path behind a logical path (worker threads read it
   * directly); undefined for remote drivers.
   */
  localPath(path: string): string | undefined;
}
