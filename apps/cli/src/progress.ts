import { Presets, SingleBar } from 'cli-progress';

/** A progress bar for long work, on stderr and only for a person watching (a terminal, no --json). */
export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

export function createProgress(what: string, json: boolean): Progress {
  if (json || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar(
    { format: `${what} [{bar}] {value}/{total} {label}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label = '') {
      if (!started) {
        bar.start(total, done, { label });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { label });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
