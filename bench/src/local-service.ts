import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { childMemoryEnv, loadConfig } from '@longshore/config';
import { startEmbeddedRedis, type AppendFsync, type EmbeddedRedis } from '@longshore/embedded-redis';
import { discardAtEnd } from './data-trash.js';
import { createAccessKey, type AccessKey, type BenchAuth } from './bench-auth.js';
import type { ApiPrimaryListening } from './api-primary.js';
import { type BenchS3Store, type BenchStorage, startBenchS3Store } from './s3-store.js';
import { ServiceLog } from './service-log.js';

export interface LocalServiceOptions {
  /** The environment the processes start from. */
  baseEnv: Readonly<Record<string, string | undefined>>;
  /** Settings of this scenario, applied last (e.g. VERIFY_MODE). */
  env: Readonly<Record<string, string>>;
  /** Parent of the fresh data directory. */
  dataRoot: string;
  workers: number;
  /** BENCH_STORAGE: `s3` starts an embedded Swift (S3 API) for the run; default `filesystem`. */
  storage?: BenchStorage;
  /** Write a CPU profile (`node --cpu-prof`) of each process into `<dir>/<process name>/`. */
  cpuProfileDir?: string;
  /** AUTH of the service: `sigv4` (default, as npm start) or `off`. A key is created either way. */
  auth?: BenchAuth;
}

/** One API process of the cluster: `api-1`, … */
export interface ApiProcess {
  name: string;
  pid: number;
  /** Its own operations listener (GET /metrics of this process alone). */
  metricsPort: number;
}

export interface LocalService {
  endpoint: URL;
  /** The service's private Redis (scenarios that seed metadata directly). */
  redisUrl: string;
  dataDir: string;
  /** The access key created for the bench (`longshore keys create` into the service's CREDENTIALS_FILE). */
  accessKey: AccessKey;
  /** REGION of the service, which SigV4 signatures name. */
  region: string;
  /**
   * Every process of the service: `api-primary` (the primary holding the port, as the
   * launcher does), `api-1`, `api-2`, … (API_PROCESSES of them), worker (or worker-1, …) and redis.
   */
  pids: Record<string, number>;
  /** The API processes, in order. */
  apis: ApiProcess[];
  /** Each worker process's operations listener (GET /metrics), by name. */
  workerMetricsPorts: Record<string, number>;
  /**
   * The forked children by name: `api-primary` (which relays messages to and from every API
   * process, e.g. for `npm run trace`) and the workers.
   */
  processes: Record<string, ChildProcess>;
  log: ServiceLog;
  /** Processes that exited while they should have been serving, with how. */
  unexpectedExits(): string[];
  /** Stops every process (gracefully, then by force) and deletes the data directory. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const API_PRIMARY = 'api-primary';
const STOP_TIMEOUT_MS = 20_000;
const KILL_TIMEOUT_MS = 5_000;

const require = createRequire(import.meta.url);

/** The compiled entry of an app, or of the primary the API processes run under (api-primary.ts). */
function appEntry(name: '@longshore/api' | '@longshore/worker' | '@longshore/bench'): string {
  const file = name === '@longshore/bench' ? 'api-primary.js' : 'main.js';
  const entry = path.join(path.dirname(require.resolve(`${name}/package.json`)), 'dist', file);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npm run bench builds)`);
  return entry;
}

/** Children still running; killed if the bench exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * The service as `npm start` runs it, but started piece by piece so each scenario gets its own
 * settings, a fresh Redis and data directory, and each process can be measured: a private
 * redis-server (append-only, as npm start), with `storage: 's3'` a private Swift (S3 API), the
 * worker process(es), then the API: API_PROCESSES (the service's default unless set) API processes
 * under a primary that holds the port and hands them its connections, as the launcher runs them.
 */
export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const dataDir = await mkdtemp(path.join(options.dataRoot, 'longshore-bench-'));
  const log = new ServiceLog();
  const exits: string[] = [];
  const children: { name: string; child: ChildProcess }[] = [];
  let redis: EmbeddedRedis | undefined;
  let s3: BenchS3Store | undefined;
  let stopping = false;
  let apiListening: Promise<Record<string, unknown>> | undefined;

  const stop = async () => {
    stopping = true;
    // API first, so no new work reaches the workers; then the workers, then Redis.
    const api = children.filter((c) => c.name === API_PRIMARY);
    const workers = children.filter((c) => c.name !== API_PRIMARY);
    await Promise.all(api.map((c) => stopChild(c.child)));
    await Promise.all(workers.map((c) => stopChild(c.child)));
    await redis?.stop();
    await s3?.stop();
    await discardAtEnd(dataDir);
  };

  const start = async (
    name: string,
    entry: string,
    env: Record<string, string>,
    readyType: string,
    args: string[] = [],
  ) => {
    const execArgv =
      options.cpuProfileDir && name !== API_PRIMARY
        ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfileDir, name)}`]
        : [];
    const child = fork(entry, args, { env, execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    track(child);
    children.push({ name, child });
    log.attach(name, child.stdout);
    log.attach(name, child.stderr);
    child.once('exit', (code, signal) => {
      if (!stopping) exits.push(`${name} (pid ${child.pid}) exited ${signal ? `by ${signal}` : `with code ${code}`}`);
    });
    return waitForMessage(child, name, readyType, log);
  };

  try {
    redis = await startEmbeddedRedis({
      dataDir: path.join(dataDir, 'redis'),
      appendOnly: true,
      // As npm start: REDIS_APPENDFSYNC (default always), so its cost shows in the figures.
      appendFsync: (options.baseEnv.REDIS_APPENDFSYNC as AppendFsync | undefined) ?? 'always',
    });
    if (options.storage === 's3') s3 = await startBenchS3Store(dataDir);
    const env: Record<string, string> = {
      ...definedOnly(options.baseEnv),
      ...s3?.env,
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      // Authentication on, as npm start runs it, unless the bench runs with --auth off; the
      // clients sign (ECR) and log in (/v2, /v1) with a key created as an operator would.
      AUTH: options.auth ?? 'sigv4',
      CREDENTIALS_FILE: path.join(dataDir, 'credentials.json'),
      ...options.env,
    };
    // The malloc and V8 settings npm start gives its children (packages/config child-memory-env.ts).
    Object.assign(env, childMemoryEnv(loadConfig(env), env.NODE_OPTIONS));
    const keyCreated = createAccessKey(env.CREDENTIALS_FILE!, env);
    keyCreated.catch(() => undefined); // awaited below; a failure there is the one reported
    const workerEntry = appEntry('@longshore/worker');
    const names = Array.from({ length: options.workers }, (_, i) =>
      options.workers === 1 ? 'worker' : `worker-${i + 1}`,
    );
    // The workers and the API start side by side (each only needs Redis); the API once the key
    // it is to accept is in CREDENTIALS_FILE.
    const apiArgs = [
      appEntry('@longshore/api'),
      String(loadConfig(env).apiProcesses),
      ...(options.cpuProfileDir ? [options.cpuProfileDir] : []),
    ];
    apiListening = keyCreated.then(() => start(API_PRIMARY, appEntry('@longshore/bench'), env, 'listening', apiArgs));
    apiListening.catch(() => undefined); // awaited below
    const workersReady = await Promise.all(names.map((name) => start(name, workerEntry, env, 'ready')));
    const workerMetricsPorts = Object.fromEntries(names.map((name, i) => [name, Number(workersReady[i]!.metricsPort)]));
    const accessKey = await keyCreated;
    const listening = (await apiListening) as unknown as ApiPrimaryListening;
    const port = Number(listening.port);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`the API reported no port: ${JSON.stringify(listening)}`);

    const pids: Record<string, number> = { redis: redis.pid };
    const processes: Record<string, ChildProcess> = {};
    for (const { name, child } of children) {
      pids[name] = child.pid!;
      processes[name] = child;
    }
    for (const api of listening.apis) pids[api.name] = api.pid;
    return {
      endpoint: new URL(`http://127.0.0.1:${port}`),
      redisUrl: redis.url,
      dataDir,
      accessKey,
      region: env.REGION ?? 'us-east-1',
      pids,
      apis: listening.apis,
      workerMetricsPorts,
      processes,
      log,
      unexpectedExits: () => [...exits],
      stop,
    };
  } catch (error) {
    await apiListening?.catch(() => undefined); // so that a starting API is stopped too
    await stop().catch(() => undefined);
    throw error;
  }
}

function waitForMessage(
  child: ChildProcess,
  name: string,
  type: string,
  log: ServiceLog,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${name} was not ${type} within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    const onMessage = (message: unknown) => {
      const m = message as Record<string, unknown> | null;
      if (m?.type !== type) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(
        new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ${type}:\n${log.lastLines().join('\n')}`),
      );
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  if (await within(exited, STOP_TIMEOUT_MS)) return;
  child.kill('SIGKILL');
  await within(exited, KILL_TIMEOUT_MS);
}

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
