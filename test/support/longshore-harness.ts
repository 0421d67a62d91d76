import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { inject } from 'vitest';
import { type Config, loadConfig } from '@longshore/config';
import { createKeys, type Keys } from '@longshore/metadata';
import { createRedisConnection, type RedisClient, type RedisConnectionOptions } from '@longshore/queue';
import { signRequest, testAdminKey, type TestCredentials } from './request-signing.js';
import { storageView, type StorageView } from './storage-view.js';
import { createS3ClusterPlace, e2eBackend, type E2eBackend, type S3ClusterPlace } from './test-backend.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const apiEntry = path.join(root, 'apps/api/dist/main.js');
const workerEntry = path.join(root, 'apps/worker/dist/main.js');

export interface ServiceProcess {
  child: ChildProcess;
  /** The API's port or the worker's metrics port. */
  port: number;
  /** Its operations listener (METRICS_PORT): /metrics, /healthz, /readyz. */
  metricsPort: number;
  /** SIGTERM and wait: the graceful stop. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
  /** Its stdout lines (JSON log lines), when started with `captureOutput`; else empty. */
  output: string[];
  /** Settles once its stdout has ended and every line is in `output` (at once without `captureOutput`). */
  outputClosed: Promise<void>;
  /**
   * Every IPC message it sent, in order, from its start: a message sent right after the ready one
   * can arrive in the same read and be emitted before a caller of `startWorker` could listen, and
   * a worker that takes a job already queued can reach a test hold point before it says it is ready.
   */
  messages: unknown[];
}

export interface Longshore {
  endpoint: string;
  /** The API process's /metrics, on its METRICS_PORT (never on the API port). */
  metricsUrl: string;
  ecr: ECRClient;
  env: Record<string, string>;
  dataDir: string;
  /** QUEUE_PREFIX as set; the keys Longshore writes are `keys` (on a cluster the prefix is hash-tagged). */
  prefix: string;
  redisUrl: string;
  /** Where the services keep their bytes and keys: the vitest project chooses (test-backend.ts). */
  backend: E2eBackend;
  /** The configuration the services read from `env`, read the same way. */
  config: Config;
  /** Longshore's Redis key layout under the configured prefix. */
  keys: Keys;
  /** The storage the services use: its port (`storage.driver`) and listings for assertions. */
  storage: StorageView;
  /** A connection to the services' Redis (a Cluster one on a cluster); the caller quits it. */
  connectRedis(options?: Partial<RedisConnectionOptions>): RedisClient;
  api: ServiceProcess;
  workers: ServiceProcess[];
  startWorker(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  startApi(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  /**
   * A raw HTTP request to the service (`pathOrUrl` is a path under `endpoint`, or a whole URL).
   * Every test sends its raw requests through here, so the harness alone decides how a request
   * is authenticated.
   */
  fetch(pathOrUrl: string, init?: RequestInit, auth?: FetchAuth): Promise<Response>;
  /** A registry login token (GetAuthorizationToken) of `credentials` (default: the admin key). */
  loginToken(credentials?: TestCredentials): Promise<string>;
  close(): Promise<void>;
}

/**
 * How `fetch` authenticates: by default as the admin key, the way each door expects it (SigV4 for
 * `POST /`, a Bearer login token for /v1, Basic `AWS:<token>` for /v2, nothing for signed download
 * URLs and requests that already carry `Authorization`). `as`: another key; `anonymous`: nothing.
 */
export type FetchAuth = { as: TestCredentials } | 'anonymous';

export interface HarnessOptions {
  env?: Record<string, string>;
  workers?: number;
  /** Collect each process's stdout in `output` instead of passing it through. */
  captureOutput?: boolean;
}

/**
 * Runs the built API and worker apps as real processes against the test run's private Redis,
 * isolated by a fresh key prefix and data directory, and an ECR client pointed at them. In the
 * `e2e-s3-cluster` project they default to S3 (a fresh bucket per harness, removed by `close`)
 * and the Redis Cluster instead; `options.env` may still override any of it.
 */
export async function startLongshore(options: HarnessOptions = {}): Promise<Longshore> {
  const backend = e2eBackend();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-e2e-'));
  const prefix = `t${Math.random().toString(36).slice(2, 10)}`;
  const place: S3ClusterPlace | undefined = backend === 's3-cluster' ? await createS3ClusterPlace(prefix) : undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    REDIS_URL: inject('redisUrl'),
    ...place?.env,
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
    LOG_FORMAT: 'json',
    HASH_THREADS: '2',
    // Authentication is on in every test, as the admin key the SDK client signs with.
    ADMIN_ACCESS_KEY_ID: testAdminKey.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: testAdminKey.secretAccessKey,
    // Tests make many deliberate failures from one address; the limit has its own tests.
    AUTH_FAILURE_LIMIT: '100000',
    ...options.env,
  };
  const processes: ServiceProcess[] = [];
  const spawnWorker = async (extraEnv: Record<string, string> = {}) => {
    const worker = await spawnService(workerEntry, { ...env, ...extraEnv }, 'metricsPort', options.captureOutput);
    processes.push(worker);
    return worker;
  };
  const startWorker = async (extraEnv: Record<string, string> = {}) => {
    const worker = await spawnWorker(extraEnv);
    harness.workers.push(worker);
    return worker;
  };
  const startApi = async (extraEnv: Record<string, string> = {}) => {
    const api = await spawnService(apiEntry, { ...env, ...extraEnv }, 'port', options.captureOutput);
    processes.push(api);
    return api;
  };
  const harness = { workers: [] as ServiceProcess[] } as unknown as Longshore;
  const config = loadConfig(env);
  const redisUrl = env.REDIS_URL!;
  const storage = storageView(config, env);
  const closing = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await rm(dataDir, { recursive: true, force: true });
    storage.close();
    await place?.remove();
  };
  // The workers and the API start at once: each spends about a CPU-second loading its modules,
  // and neither waits for the other (they meet in Redis). Workers are listed in start order.
  const starting = await Promise.allSettled([
    startApi(),
    ...Array.from({ length: options.workers ?? 1 }, () => spawnWorker()),
  ]);
  const failed = starting.find((result) => result.status === 'rejected');
  if (failed) {
    await closing();
    throw failed.reason;
  }
  const [api, ...workers] = starting.map((result) => (result as PromiseFulfilledResult<ServiceProcess>).value) as [
    ServiceProcess,
    ...ServiceProcess[],
  ];
  harness.workers.push(...workers);
  const endpoint = `http://127.0.0.1:${api.port}`;
  const loginToken = registerAuthenticatedService(endpoint);
  Object.assign(harness, {
    endpoint,
    metricsUrl: `http://127.0.0.1:${api.metricsPort}/metrics`,
    ecr: ecrClient(endpoint),
    env,
    dataDir,
    prefix,
    redisUrl,
    backend,
    config,
    keys: createKeys(config.queuePrefix),
    storage,
    connectRedis: (redisOptions: Partial<RedisConnectionOptions> = {}) =>
      createRedisConnection(redisUrl, { name: 'e2e-test', ...redisOptions }),
    api,
    startWorker,
    startApi,
    loginToken,
    fetch: async (pathOrUrl: string, init: RequestInit = {}, auth?: FetchAuth) => {
      const url = new URL(/^https?:/.test(pathOrUrl) ? pathOrUrl : `${endpoint}${pathOrUrl}`);
      return fetch(url, await authenticate(url, init, auth, loginToken));
    },
    async close() {
      unregisterAuthenticatedService(endpoint);
      await closing();
    },
  });
  return harness;
}

/** A real AWS SDK client, as a CI job would configure it with --endpoint-url (signing as the admin key). */
export function ecrClient(endpoint: string, maxAttempts = 1, credentials: TestCredentials = testAdminKey): ECRClient {
  // A copy: the SDK marks the object it is handed, and test keys are shared between test files.
  return new ECRClient({ endpoint, region: 'us-east-1', credentials: { ...credentials }, maxAttempts });
}

/** `aws ecr get-login-password`: the token part of GetAuthorizationToken's `AWS:<token>`. */
async function requestLoginToken(endpoint: string, credentials: TestCredentials): Promise<string> {
  const answer = await ecrClient(endpoint, 1, credentials).send(new GetAuthorizationTokenCommand({}));
  const decoded = Buffer.from(answer.authorizationData?.[0]?.authorizationToken ?? '', 'base64').toString('utf8');
  if (!decoded.startsWith('AWS:'))
    throw new Error(`GetAuthorizationToken returned no AWS:<token> (${decoded.slice(0, 8)}…)`);
  return decoded.slice('AWS:'.length);
}

/** The login-token source of every running test service, by endpoint (origin). */
const running = new Map<string, (credentials?: TestCredentials) => Promise<string>>();

/**
 * Makes `authenticateRequest` (and so every raw request helper) authenticate requests to a
 * service started with the test admin key, and returns its cached login-token source.
 */
export function registerAuthenticatedService(endpoint: string): (credentials?: TestCredentials) => Promise<string> {
  const tokens = new Map<string, Promise<string>>();
  const loginToken = (credentials: TestCredentials = testAdminKey) => {
    let token = tokens.get(credentials.accessKeyId);
    if (!token) {
      token = requestLoginToken(endpoint, credentials);
      token.catch(() => tokens.delete(credentials.accessKeyId));
      tokens.set(credentials.accessKeyId, token);
    }
    return token;
  };
  running.set(endpoint, loginToken);
  return loginToken;
}

/** Forgets a service registered with `registerAuthenticatedService`. */
export function unregisterAuthenticatedService(endpoint: string): void {
  running.delete(endpoint);
}

/**
 * For helpers that send raw requests by URL (plain fetch, an http.Agent): authenticates `init`
 * as `longshore.fetch` would, when `url` belongs to a service this harness started.
 */
export async function authenticateRequest(url: string, init: RequestInit = {}, auth?: FetchAuth): Promise<RequestInit> {
  const parsed = new URL(url);
  const loginToken = running.get(parsed.origin);
  return loginToken ? authenticate(parsed, init, auth, loginToken) : init;
}

async function authenticate(
  url: URL,
  init: RequestInit,
  auth: FetchAuth | undefined,
  loginToken: (credentials?: TestCredentials) => Promise<string>,
): Promise<RequestInit> {
  const headers = new Headers(init.headers);
  if (auth === 'anonymous' || headers.has('authorization') || url.pathname.startsWith('/downloads/')) return init;
  const credentials = auth?.as ?? testAdminKey;
  if (url.pathname === '/' && (init.method ?? 'GET').toUpperCase() === 'POST') {
    return signRequest(url, init, credentials);
  }
  if (url.pathname.startsWith('/v1/')) {
    headers.set('authorization', `Bearer ${await loginToken(credentials)}`);
    return { ...init, headers };
  }
  if (url.pathname === '/v2' || url.pathname.startsWith('/v2/')) {
    const basic = Buffer.from(`AWS:${await loginToken(credentials)}`).toString('base64');
    headers.set('authorization', `Basic ${basic}`);
    return { ...init, headers };
  }
  return init;
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
  let outputClosed = Promise.resolve();
  if (child.stdout) {
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => output.push(line));
    outputClosed = once(lines, 'close').then(() => undefined);
  }
  const exited = once(child, 'exit');
  const messages: unknown[] = [];
  // The ready message (the worker's 'ready', the API's 'listening') or 'start-failed'; anything the
  // process sends before it (a hold point reached by a job already queued) is kept in `messages`.
  const started = new Promise<unknown>((resolve) =>
    child.on('message', (m: { type?: string } | null) => {
      messages.push(m);
      if (m?.type === 'ready' || m?.type === 'listening' || m?.type === 'start-failed') resolve(m);
    }),
  );
  const message = (await Promise.race([
    started,
    exited.then(([code]) => Promise.reject(new Error(`${entry} exited with ${code} before it was ready`))),
  ])) as { type?: string; message?: string; port?: number; metricsPort?: number };
  if (message.type === 'start-failed') {
    // The app says why it cannot start (a bad setting, a bad CREDENTIALS_FILE), then exits.
    await exited;
    throw new Error(`${entry} did not start: ${message.message}`);
  }
  const finish = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return {
    child,
    port: message[portField]!,
    metricsPort: message.metricsPort!,
    stop: () => finish('SIGTERM'),
    kill: () => finish('SIGKILL'),
    output,
    outputClosed,
    messages,
  };
}
