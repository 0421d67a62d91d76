import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '@longshore/telemetry';
import { RestartDelay } from './restart-delay.js';

export interface SupervisedOptions {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** How to start the child; default: `fork(entry)`. (The API processes are cluster workers sharing one port.) */
  spawn?: (env: NodeJS.ProcessEnv) => ChildProcess;
}

/**
 * One child process kept running: restarted quickly if it dies on its own (see RestartDelay),
 * and stopped with SIGTERM (so it can finish active work) when the launcher stops. Every start
 * and death is logged with the child's pid and the restart count.
 */
export class SupervisedProcess {
  private child?: ChildProcess;
  private stopping = false;
  private startedAt = 0;
  private readonly delay = new RestartDelay();
  /** How many times the child was restarted after dying. */
  restarts = 0;

  constructor(private readonly options: SupervisedOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child and resolves with its ready message (sent over IPC). */
  start(): Promise<unknown> {
    const { name, entry, env, log } = this.options;
    this.startedAt = Date.now();
    const child = this.options.spawn ? this.options.spawn(env) : fork(entry, [], { env, stdio: 'inherit' });
    this.child = child;
    const ready = new Promise((resolve, reject) => {
      child.once('message', (message) => {
        log.info({ process: name, childPid: child.pid, restarts: this.restarts }, 'process ready');
        resolve(message);
      });
      child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
    });
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      const delay = this.delay.next(Date.now() - this.startedAt);
      this.restarts += 1;
      log.error(
        { process: name, childPid: child.pid, code, signal, restartInMs: delay, restarts: this.restarts },
        'process died; restarting',
      );
      setTimeout(() => {
        if (!this.stopping) this.start().catch((err: unknown) => log.error({ err, process: name }, 'restart failed'));
      }, delay).unref();
    });
    return ready;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}
