import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ECRClient } from '@aws-sdk/client-ecr';
import { inject } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const apiEntry = path.join(root, 'apps/api/dist/main.js');
const workerEntry = path.join(root, 'apps/worker/dist/main.js');

export interface ServiceProcess {
  child: ChildProcess;
  /** The API's port or the worker's metrics port. */
  port: number;
  /** SIGTERM and wait: the graceful stop. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
  /** Its stdout lines (JSON log lines), when started with `captureOutput`; else empty. */
  output: string[];
}

export interface Longshore {
  endpoint: string;
  ecr: ECRClient;
  env: Record<string, string>;
  dataDir: string;
  prefix: string;
  redisUrl: string;
  api: ServiceProcess;
  workers: ServiceProcess[];
  startWorker(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  startApi(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  /**
   * A raw HTTP request to the service (`pathOrUrl` is a path under `endpoint`, or a whole URL).
   * Every test sends its raw requests through here, so the harness alone decides how a request
   * is authenticated.
   */
  fetch(pathOrUrl: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  workers?: number;
  /** Collect each process's stdout in `output` instead of passing it through. */
  captureOutput?: boolean;
}

/**
 * Runs the built API and worker apps as real processes against the test run's private Redis,
 * isolated by a fresh key prefix and data directory, and an ECR client pointed at them.
 */
export async function startLongshore(options: HarnessOptions = {}): Promise<Longshore> {
  const redisUrl = inject('redisUrl');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-e2e-'));
  const prefix = `t${Math.random().toString(36).slice(2, 10)}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    REDIS_URL: redisUrl,
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
    LOG_FORMAT: 'json',
    HASH_THREADS: '2',
    ...options.env,
  };
  const processes: ServiceProcess[] = [];
  const startWorker = async (extraEnv: Record<string, string> = {}) => {
    const worker = await spawnService(workerEntry, { ...env, ...extraEnv }, 'metricsPort', options.captureOutput);
    processes.push(worker);
    harness.workers.push(worker);
    return worker;
  };
  const startApi = async (extraEnv: Record<string, string> = {}) => {
    const api = await spawnService(apiEntry, { ...env, ...extraEnv }, 'port', options.captureOutput);
    processes.push(api);
    return api;
  };
  const harness = { workers: [] as ServiceProcess[] } as unknown as Longshore;
  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();
  const api = await startApi();
  const endpoint = `http://127.0.0.1:${api.port}`;
  Object.assign(harness, {
    endpoint,
    ecr: ecrClient(endpoint),
    env,
    dataDir,
    prefix,
    redisUrl,
    api,
    startWorker,
    startApi,
    fetch: (pathOrUrl: string, init?: RequestInit) =>
      fetch(/^https?:/.test(pathOrUrl) ? pathOrUrl : `${endpoint}${pathOrUrl}`, init),
    async close() {
      await Promise.all(processes.map((p) => p.stop()));
      await rm(dataDir, { recursive: true, force: true });
    },
  });
  return harness;
}

/** A real AWS SDK client, as a CI job would configure it with --endpoint-url. */
export function ecrClient(endpoint: string, maxAttempts = 1): ECRClient {
  return new ECRClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    maxAttempts,
  });
}

async function spawnService(
  entry: string,
  env: Record<string, string>,
  portField: 'port' | 'metricsPort',
  captureOutput = false,
): Promise<ServiceProcess> {
  // No execArgv: the test runner's own flags (e.g. its resolve conditions) must not leak into the apps.
  const child = fork(entry, [], {
    env,
    execArgv: [],
    stdio: ['ignore', captureOutput ? 'pipe' : 'inherit', 'inherit', 'ipc'],
  });
  const output: string[] = [];
  if (child.stdout)
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => output.push(line));
  const exited = once(child, 'exit');
  const message = (await Promise.race([
    once(child, 'message').then(([m]) => m),
    exited.then(([code]) => Promise.reject(new Error(`${entry} exited with ${code} before it was ready`))),
  ])) as Record<string, number>;
  const finish = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return { child, port: message[portField]!, stop: () => finish('SIGTERM'), kill: () => finish('SIGKILL'), output };
}
