import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findExecutable, isExecutableFile } from './find-executable.js';
import { findRedisServer } from './find-redis-server.js';
import { findFreePort } from './free-port.js';
import { sendRedisCommand } from './redis-command.js';
import { RedisServerNotFoundError } from './redis-server-not-found-error.js';
import { RedisServerStartError } from './redis-server-start-error.js';
import { type EmbeddedRedis, startEmbeddedRedis } from './start-embedded-redis.js';

const run = promisify(execFile);

export interface EmbeddedRedisClusterOptions {
  /** Each node's working directory is `<dataDir>/node-<n>`; created if missing. */
  dataDir: string;
  /** How many masters (no replicas); default 3, Redis Cluster's minimum. */
  masters?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Receives every node's output lines; default: discarded. */
  log?: (line: string) => void;
}

export interface EmbeddedRedisCluster {
  /** `host:port` of every master. */
  readonly nodes: readonly string[];
  /** `redis+cluster://host:port,host:port,...`, the form REDIS_URL takes for a cluster. */
  readonly url: string;
  /** Stops every node. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 50;

/**
 * Starts a private Redis Cluster of `masters` redis-server processes, without AOF, each on a free
 * port with its cluster bus on another, joins them with `redis-cli --cluster create` (slots
 * split evenly) and resolves once every node reports `cluster_state:ok` and knows every other.
 */
export async function startEmbeddedRedisCluster(options: EmbeddedRedisClusterOptions): Promise<EmbeddedRedisCluster> {
  const serverBinary = findRedisServer();
  if (serverBinary === undefined) throw new RedisServerNotFoundError(undefined);
  const cli = findRedisCli(serverBinary);
  if (cli === undefined) throw new Error('redis-cli was not found (Debian: apt-get install -y redis-tools)');
  const host = options.host ?? '127.0.0.1';
  const count = options.masters ?? 3;
  const started = await Promise.allSettled(
    Array.from({ length: count }, async (_, index) =>
      startEmbeddedRedis({
        dataDir: join(resolve(options.dataDir), `node-${index + 1}`),
        host,
        appendOnly: false,
        log: options.log,
        extraArgs: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf', // in the node's own --dir
          // The bus port defaults to port + 10000, which is past 65535 for high free ports.
          '--cluster-port',
          String(await findFreePort(host)),
          '--cluster-node-timeout',
          '5000',
        ],
      }),
    ),
  );
  const servers = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    const failure = started.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    const nodes = servers.map((server) => `${host}:${server.port}`);
    await createCluster(cli, nodes);
    await waitUntilConsistent(host, servers);
    let stopping: Promise<void> | undefined;
    return { nodes, url: `redis+cluster://${nodes.join(',')}`, stop: () => (stopping ??= stop()) };
  } catch (error) {
    await stop();
    throw error;
  }
}

function findRedisCli(serverBinary: string): string | undefined {
  const besideServer = join(dirname(serverBinary), 'redis-cli');
  return isExecutableFile(besideServer) ? besideServer : findExecutable('redis-cli');
}

async function createCluster(cli: string, nodes: readonly string[]): Promise<void> {
  const args = ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'];
  try {
    await run(cli, args, { timeout: READY_TIMEOUT_MS });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-15);
    throw new RedisServerStartError(`redis-cli --cluster create ${nodes.join(' ')} failed`, output, false);
  }
}

/** Waits until every node has all slots covered and knows every other node. */
async function waitUntilConsistent(host: string, servers: readonly EmbeddedRedis[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const infos = await Promise.all(
      servers.map((server) => sendRedisCommand(host, server.port, ['CLUSTER', 'INFO'], 1_000).catch(() => '')),
    );
    const consistent = infos.every(
      (info) =>
        typeof info === 'string' &&
        /^cluster_state:ok\r?$/m.test(info) &&
        new RegExp(`^cluster_known_nodes:${servers.length}\\r?$`, 'm').test(info),
    );
    if (consistent) return;
    if (Date.now() >= deadline) {
      throw new RedisServerStartError(
        `the Redis Cluster did not become consistent within ${READY_TIMEOUT_MS / 1000} s`,
        infos.map(String),
        false,
      );
    }
    await delay(POLL_INTERVAL_MS);
  }
}
