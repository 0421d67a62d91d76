import { readFileSync } from 'node:fs';

/**
 * Which boot of which machine wrote a local part, instead of a checksum of its bytes.
 *
 * A part is only at risk between its write and its fsync if the machine goes down in between:
 * a process that dies leaves its bytes in the kernel's page cache (or, written direct, on the
 * device), where any reader and any later fsync on the same machine find them. The kernel draws
 * a random id for every boot (`/proc/sys/kernel/random/boot_id`), so a reader that sees the same
 * id as the writer is on the same machine, which has not gone down since: fsyncing the part there
 * makes exactly the bytes that arrived durable, and reading them back would only compare them with
 * themselves. A reader with another id (another machine sharing the storage, or after a reboot)
 * cannot tell, and must check the bytes against the layer's digest instead.
 */
const MARK_PREFIX = 'boot:';

let cached: string | null | undefined;

/** The current boot's id, or undefined where the kernel does not tell it (not Linux). Read once. */
export function currentBootId(): string | undefined {
  if (cached === undefined) {
    try {
      const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      cached = /^[0-9a-f-]{16,64}$/.test(id) ? id : null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

/** A part record's "checksum" for a part written by boot `bootId`: `boot:<id>`. */
export function bootMark(bootId: string): string {
  return `${MARK_PREFIX}${bootId}`;
}

/** The boot a part record's mark names; undefined when it is a checksum, not a mark. */
export function bootOfMark(recorded: string): string | undefined {
  return recorded.startsWith(MARK_PREFIX) ? recorded.slice(MARK_PREFIX.length) : undefined;
}

/** Whether `recorded` marks a part written by boot `bootId` (so fsyncing it here is enough). */
export function writtenInBoot(recorded: string, bootId: string | undefined): boolean {
  return bootId !== undefined && bootOfMark(recorded) === bootId;
}
