import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { inject } from 'vitest';
import {
  authenticateRequest,
  ecrClient,
  registerAuthenticatedService,
  unregisterAuthenticatedService,
} from './longshore-harness.js';
import { testAdminKey } from './request-signing.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const launcherEntry = path.join(root, 'apps/launcher/dist/main.js');
const READY_TIMEOUT_MS = 60_000;

/** One line of the launcher's (and its children's) pino JSON log. */
export interface LogLine {
  msg: string;
  name?: string;
  process?: string;
  childPid?: number;
  restarts?: number;
  url?: string;
  [field: string]: unknown;
}

export interface LauncherRun {
  endpoint: string;
  /** The launcher's one aggregated /metrics of every process (METRICS_PORT). */
  metricsUrl: string;
  /** Resolves with the launcher's exit code (null if a signal ended it). */
  exited: Promise<number | null>;
  /** An SDK client with the SDK's default retry policy, as a CI job would use. */
  ecr: ECRClient;
  dataDir: string;
  launcher: ChildProcess;
  /**
   * Every log line so far, stdout and stderr (the launcher's and its children's: they share its
   * output). A line that is not JSON is kept as `{ msg: text }`, without a `name`.
   */
  lines: LogLine[];
  /** Resolves with the first line (already logged or still to come) that matches. */
  waitForLine(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The pid of the current run of a supervised child (`redis`, `api-1`, `worker-2`, ...). */
  pidOf(processName: string): number;
  /** Whether a supervised child is running now: it reported ready since it last died. */
  isUp(processName: string): boolean;
  /** How many times supervised children died and were restarted, across all of them. */
  restarts(): number;
  fetch(pathOrUrl: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM to the launcher (it stops its children), then the data directory is removed. */
  close(): Promise<void>;
}

export interface LauncherOptions {
  env?: Record<string, string>;
  /** Run the launcher's own private redis-server instead of the test run's Redis. */
  embeddedRedis?: boolean;
  /**
   * Start it as a terminal starts a command: leader of its own process group, so the test can
   * signal the whole group (`process.kill(-pid, 'SIGINT')`), as Ctrl-C does.
   */
  ownProcessGroup?: boolean;
}

/** `npm start` as a real process: the launcher with its supervised Redis, API and workers. */
export async function startLauncher(options: LauncherOptions = {}): Promise<LauncherRun> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-launcher-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATA_DIR: dataDir,
    QUEUE_PREFIX: `t${Math.random().toString(36).slice(2, 10)}`,
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    HASH_THREADS: '1',
    ADMIN_ACCESS_KEY_ID: testAdminKey.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: testAdminKey.secretAccessKey,
    ...(options.embeddedRedis ? {} : { REDIS_URL: inject('redisUrl') }),
    ...options.env,
  };
  const launcher = spawn(process.execPath, [launcherEntry], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  const exited = once(launcher, 'exit');
  const lines: LogLine[] = [];
  const waiters = new Set<{ matches: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  const onLine = (text: string) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text }; // not JSON: kept, so a test can see it
    }
    lines.push(line);
    for (const waiter of waiters) if (waiter.matches(line)) waiter.resolve(line);
  };
  // stdout and stderr alike: a plain-text line on either (not pino JSON) shows up without a `name`.
  createInterface({ input: launcher.stdout!, crlfDelay: Infinity }).on('line', onLine);
  createInterface({ input: launcher.stderr!, crlfDelay: Infinity }).on('line', onLine);

  const waitForLine = (matches: (line: LogLine) => boolean, timeoutMs = 30_000) => {
    const seen = lines.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = {
        matches,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${tail(lines)}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const closing: (() => void)[] = [];
  const close = async () => {
    for (const undo of closing) undo();
    if (launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const serving = await Promise.race([
      waitForLine((line) => line.msg === 'Longshore is serving', READY_TIMEOUT_MS),
      exited.then(([code]) => Promise.reject(new Error(`the launcher exited with ${code}:\n${tail(lines)}`))),
    ]);
    const endpoint = new URL(String(serving.url)).origin.replace('0.0.0.0', '127.0.0.1');
    registerAuthenticatedService(endpoint);
    closing.push(() => unregisterAuthenticatedService(endpoint));
    return {
      endpoint,
      metricsUrl: String(serving.metrics),
      exited: exited.then(([code]) => code as number | null),
      ecr: ecrClient(endpoint, 3),
      dataDir,
      launcher,
      lines,
      waitForLine,
      pidOf(processName) {
        const ready = lines.filter((l) => l.msg === 'process ready' && l.process === processName).at(-1);
        if (ready?.childPid === undefined) throw new Error(`${processName} has not reported ready`);
        return ready.childPid;
      },
      isUp(processName) {
        const last = lines
          .filter(
            (l) => l.process === processName && (l.msg === 'process ready' || l.msg === 'process died; restarting'),
          )
          .at(-1);
        return last?.msg === 'process ready';
      },
      restarts: () => lines.filter((l) => l.msg === 'process died; restarting').length,
      fetch: async (pathOrUrl, init) => {
        const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${endpoint}${pathOrUrl}`;
        return fetch(url, await authenticateRequest(url, init));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function tail(lines: LogLine[]): string {
  return lines
    .slice(-15)
    .map((l) => JSON.stringify(l).slice(0, 300))
    .join('\n');
}
