import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const STOP_TIMEOUT_MS = 10_000;
const children = new Set<ChildProcess>();

function killAll(): void {
  // 'exit' handlers must be synchronous: kill() only sends the signal.
  for (const child of children) child.kill('SIGTERM');
}

export interface StartChildOptions {
  /** Names the process in exit statuses and errors, e.g. `redis-server`, `proxy-server`. */
  name: string;
  /** Receives every line the process writes to stdout or stderr. */
  onLine: (line: string) => void;
  /**
   * Run it in a process group of its own, so Ctrl-C in a terminal does not reach it and a
   * supervisor stops it when it chooses (still SIGTERM when this process exits). Default false.
   */
  ownProcessGroup?: boolean;
}

/** A server process of ours: whether it has ended, and how to stop it. */
export interface SupervisedChild {
  readonly name: string;
  /** Undefined only when the process could not be spawned. */
  readonly pid: number | undefined;
  /** Resolves when the process has exited (or could not be run). */
  readonly exited: Promise<void>;
  /** Set once the process has exited (or could not be run): how it ended. */
  exitStatus(): string | undefined;
  /** Ended and its output fully read, so everything it printed has reached `onLine`. */
  outputClosed(): boolean;
  /** Sends a signal (nothing once it has exited). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Spawns `command` with its output read line by line. Unless `ownProcessGroup`, Ctrl-C in a
 * terminal reaches it too. It is sent SIGTERM when this process exits without having stopped it,
 * so a crash or a forgotten stop() leaves no orphan (one shared 'exit' listener for all children).
 */
export function startChild(command: string, args: readonly string[], options: StartChildOptions): SupervisedChild {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', options.onLine);
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', options.onLine);

  let status: string | undefined;
  let closed = false;
  const exited = new Promise<void>((resolve) => {
    // `on`, not `once`: a later failed kill() also emits 'error', which must not go unhandled.
    child.on('error', (error) => {
      status ??= `could not be run (${error.message})`;
      closed = true;
      resolve();
    });
    child.once('exit', (code, signal) => {
      status ??= signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
      resolve();
    });
  });
  child.once('close', () => {
    closed = true;
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
  return {
    name: options.name,
    pid: child.pid,
    exited,
    exitStatus: () => status,
    outputClosed: () => closed,
    kill: (signal) => {
      if (status === undefined) child.kill(signal);
    },
    stop: () => (stopping ??= stop()),
  };
}
