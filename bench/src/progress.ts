export interface Progress {
  /** Replaces the status line (throttled). */
  update(text: string): void;
  /** Prints a line that stays. */
  note(text: string): void;
  /** Removes the status line. */
  clear(): void;
}

const MIN_INTERVAL_MS = 100;

/**
 * A one-line status on a terminal; on anything else (a pipe, a CI log) nothing at all, so the
 * bench's stdout and stderr stay clean for machines.
 */
export function createProgress(stream: NodeJS.WriteStream): Progress {
  if (!stream.isTTY) return { update() {}, note() {}, clear() {} };
  let shown = false;
  let lastAt = 0;
  const clear = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    update(text) {
      const now = Date.now();
      if (now - lastAt < MIN_INTERVAL_MS) return;
      lastAt = now;
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      shown = true;
    },
    note(text) {
      clear();
      stream.write(`${text}\n`);
    },
    clear,
  };
}
