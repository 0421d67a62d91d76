/** The last lines a starting process printed (what a start error shows), fed line by line. */
export interface OutputTail {
  /** Records `line` (dropping the oldest beyond the limit) and passes it on to the log. */
  readonly onLine: (line: string) => void;
  /** The kept lines, oldest first (a copy). */
  lines(): string[];
}

export function createOutputTail(limit: number, log: ((line: string) => void) | undefined): OutputTail {
  const kept: string[] = [];
  return {
    onLine: (line) => {
      kept.push(line);
      if (kept.length > limit) kept.shift();
      log?.(line);
    },
    lines: () => [...kept],
  };
}
