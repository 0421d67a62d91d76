import { fork, type ChildProcess } from 'node:child_process';
import type { StartFailedMessage } from '@longshore/telemetry';
import type { Logger } from '@longshore/telemetry';
import { RestartDelay } from './restart-delay.js';

export interface SupervisedOptions {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Arguments after `entry` (default none). */
  args?: readonly string[];
  /** Node's own flags for the child; default: this process's (`fork`'s default). */
  execArgv?: string[];
  /** Called with each run of the child once it reported ready (the API processes then take connections). */
  onReady?: (child: ChildProcess) => void;
}

/** A child that reported it cannot start (a taken port, say): its own words, for the operator. */
export class ChildStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChildStartError';
  }
}

/**
 * One child process kept running: restarted quickly if it dies on its own (see RestartDelay),
 * and stopped with SIGTERM (so it can finish active work) when the launcher stops. Every start
 * and death is logged with the child's pid and the restart count. Once `stopping()` is called,
 * an exit is the stop it asked for (logged at info, never restarted), whoever sent the signal.
 */
export class SupervisedProcess {
  private child?: ChildProcess;
  private isStopping = false;
  private up = false;
  private startedAt = 0;
  private readonly delay = new RestartDelay();
  /** How many times the child was restarted after dying. */
  restarts = 0;

  constructor(private readonly options: SupervisedOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The current child, while it runs and has reported ready. */
  get running(): ChildProcess | undefined {
    return this.up ? this.child : undefined;
  }

  /** Starts the child and resolves with its ready message (sent over IPC). */
  start(): Promise<unknown> {
    const { name, entry, env, log } = this.options;
    this.startedAt = Date.now();
    const { args = [], execArgv } = this.options;
    // Its own process group: Ctrl-C reaches the launcher alone, which stops the children in order.
    const child = fork(entry, args, { env, stdio: 'inherit', detached: true, ...(execArgv ? { execArgv } : {}) });
    this.child = child;
    const ready = new Promise((resolve, reject) => {
      child.once('message', (message) => {
        if ((message as Partial<StartFailedMessage>)?.type === 'start-failed') {
          reject(new ChildStartError((message as StartFailedMessage).message));
          return;
        }
        this.up = true;
        log.info({ process: name, childPid: child.pid, restarts: this.restarts }, 'process ready');
        this.options.onReady?.(child);
        resolve(message);
      });
      child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.up = false;
      if (this.isStopping) {
        log.info({ process: name, childPid: child.pid, code, signal }, 'process stopped');
        return;
      }
      const delay = this.delay.next(Date.now() - this.startedAt);
      this.restarts += 1;
      log.error(
        { process: name, childPid: child.pid, code, signal, restartInMs: delay, restarts: this.restarts },
        'process died; restarting',
      );
      setTimeout(() => {
        if (!this.isStopping) this.start().catch((err: unknown) => log.error({ err, process: name }, 'restart failed'));
      }, delay).unref();
    });
    return ready;
  }

  /** From now on an exit is a stop, not a death: called for every child as soon as the launcher stops. */
  stopping(): void {
    this.isStopping = true;
  }

  async stop(): Promise<void> {
    this.isStopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}
