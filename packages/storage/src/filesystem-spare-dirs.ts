/*
 * Emptied upload directories kept for reuse (`uploads/.spare/<old upload id>`), so a small push
 * neither creates nor removes an inode for its session's directory: the upload that finished
 * renames its emptied directory there, and a new upload renames one back as its own.
 *
 * Why: on ext4 without a journal (the bench machine's file system), allocating an inode scans
 * the group's inode bitmap and skips, one buffer lookup each, every inode deleted in the last
 * ~35 s (`recently_deleted`); with one directory made and removed per push, that scan grew with
 * the push rate and took a fifth of the API's CPU (docs/performance.md, issue 17, small23).
 *
 * A directory taken here may hold a file a stale writer created after the emptiness check (a
 * part nobody committed): the new upload's writers find its number taken (EEXIST) as they do a
 * stale writer's file, completion removes it, and a directory that is not empty when its upload
 * finishes is removed, not kept.
 */
import { type Dir, mkdirSync, opendirSync, renameSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from './filesystem-shard-publish.js';

export class SpareDirectories {
  /** Names in the spare directory this process may take, as last listed. */
  private names: string[] = [];
  private refilling = false;

  constructor(private readonly dir: string) {}

  /**
   * Renames a spare directory to `target` (a new session's directory, which must not exist).
   * False when there was none to take (a listing is then started for the next call).
   */
  takeInto(target: string): boolean {
    for (let name = this.names.pop(); name !== undefined; name = this.names.pop()) {
      if (takeOne(join(this.dir, name), target)) return true;
    }
    this.refill();
    return false;
  }

  /**
   * Keeps `dir` (a finished upload's directory, named `name` here) for reuse if it is empty;
   * false, leaving it, when it is not (or is gone). On the calling thread: the check reads one
   * entry at most and the rename is one call, each cheaper than a hop through libuv's pool (the
   * worker runs this once per small push; docs/performance.md, cpu24).
   */
  keep(dir: string, name: string): boolean {
    if (!isEmptyDir(dir)) return false;
    const spare = join(this.dir, name);
    try {
      renameSync(dir, spare);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      mkdirSync(this.dir, { recursive: true }); // the first one kept under this root (or `dir` is gone)
      try {
        renameSync(dir, spare);
      } catch {
        return false;
      }
    }
    return true;
  }

  /** Lists the spare directories (in the background), in a random order: processes take different ones. */
  private refill(): void {
    if (this.refilling) return;
    this.refilling = true;
    readdir(this.dir)
      .then(
        (names) => {
          for (let i = names.length - 1; i > 0; i -= 1) {
            const j = Math.floor(Math.random() * (i + 1));
            [names[i], names[j]] = [names[j]!, names[i]!];
          }
          this.names = names;
        },
        () => undefined,
      )
      .finally(() => {
        this.refilling = false;
      });
  }
}

/**
 * Renames `spare` to `target`; false when another process took it since the listing (ENOENT, about
 * one take in three with two API processes). That lost race is expected, so its Error is made
 * without capturing a stack (a third of its cost in a loop; docs/performance.md, lean26); any
 * other error is thrown with the stack of this call.
 */
function takeOne(spare: string, target: string): boolean {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let failure: unknown;
  try {
    renameSync(spare, target);
    return true;
  } catch (error) {
    failure = error;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (errorCode(failure) === 'ENOENT') return false;
  if (failure instanceof Error) Error.captureStackTrace(failure, takeOne);
  throw failure;
}

/** Whether `dir` is a directory without entries (false when it is gone or unreadable). */
function isEmptyDir(dir: string): boolean {
  let listing: Dir;
  try {
    listing = opendirSync(dir, { bufferSize: 1 });
  } catch {
    return false;
  }
  try {
    return listing.readSync() === null;
  } catch {
    return false;
  } finally {
    listing.closeSync();
  }
}
