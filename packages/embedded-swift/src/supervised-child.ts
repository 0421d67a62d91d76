import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const STOP_TIMEOUT_MS = 10_000;
const children = new Set<ChildProcess>();

function killAll(): void {
  // 'exit' handlers must be synchronous: kill() only sends the signal.
  for (const child of children) child.kill('SIGTERM');
}

/** A server process of ours: its recent output, whether it has ended, and how to stop it. */
export interface SupervisedChild {
  readonly name: string;
  /** Set once the process has exited (or could not be run): how it ended. */
  exitStatus(): string | undefined;
  /** Resolves when the process has exited (or could not be run). */
  readonly exited: Promise<void>;
  /** SIGTERM, SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Spawns `command` (not detached, so Ctrl-C in a terminal reaches it), feeding every output line,
 * prefixed with `name`, to `onLine`. It is sent SIGTERM when this process exits without having
 * stopped it, so a crash or a forgotten stop() leaves no orphan.
 */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  onLine: (line: string) => void,
): SupervisedChild {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const prefixed = (line: string): void => onLine(`${name}: ${line}`);
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', prefixed);
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', prefixed);

  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    // `on`, not `once`: a later failed kill() also emits 'error', which must not go unhandled.
    child.on('error', (error) => {
      status ??= `could not be run (${error.message})`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      status ??= signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
      resolve();
    });
  });
  if (children.size === 0) process.on('exit', killAll);
  children.add(child);
  void exited.then(() => {
    children.delete(child);
    if (children.size === 0) process.off('exit', killAll);
  });

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    if (status !== undefined) return;
    child.kill('SIGTERM');
    const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(escalation);
    }
  };
  return { name, exitStatus: () => status, exited, stop: () => (stopping ??= stop()) };
}
