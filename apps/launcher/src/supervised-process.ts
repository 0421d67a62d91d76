import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '@longshore/telemetry';

export interface SupervisedOptions {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

const RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10_000];

/**
 * One child process kept running: restarted with growing delays if it dies on its own, and
 * stopped with SIGTERM (so it can finish active work) when the launcher stops.
 */
export class SupervisedProcess {
  private child?: ChildProcess;
  private stopping = false;
  private restarts = 0;
  private startedAt = 0;

  constructor(private readonly options: SupervisedOptions) {}

  /** Starts the child and resolves once it reports ready over IPC. */
  start(): Promise<unknown> {
    const { name, entry, env, log } = this.options;
    this.startedAt = Date.now();
    const child = fork(entry, [], { env, stdio: 'inherit' });
    this.child = child;
    const ready = new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
    });
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (Date.now() - this.startedAt > 60_000) this.restarts = 0;
      const delay = RESTART_DELAYS_MS[Math.min(this.restarts++, RESTART_DELAYS_MS.length - 1)]!;
      log.error({ process: name, code, signal, restartInMs: delay }, 'process died; restarting');
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
