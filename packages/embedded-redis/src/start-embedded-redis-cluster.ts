import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findExecutable, findFreePort, isExecutableFile } from '@longshore/embedded-process';
import { findRedisServer } from './find-redis-server.js';
import { sendRedisCommand } from './redis-command.js';
import { RedisServerNotFoundError } from './redis-server-not-found-error.js';
import { RedisServerStartError } from './redis-server-start-error.js';
import { type EmbeddedRedis, startEmbeddedRedis } from './start-embedded-redis.js';

const run = promisify(execFile);

export interface EmbeddedRedisClusterOptions {
  /** Each node's working directory is `<dataDir>/node-<n>`; created if missing. */
  dataDir: string;
  /** How many masters; default 3, Redis Cluster's minimum. */
  masters?: number;
  /** Replicas per master, which take over when their master is lost; default 0. */
  replicasPerMaster?: number;
  /** How long a node may be unreachable before it counts as failed (and fails over); default 5000. */
  nodeTimeoutMs?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Receives every node's output lines; default: discarded. */
  log?: (line: string) => void;
}

export interface EmbeddedRedisCluster {
  /** `host:port` of every node (masters first as created; which one is a master may change). */
  readonly nodes: readonly string[];
  /** Stops one node (by `host:port`), as a crashed or lost machine: for failover tests. */
  stopNode(node: string): Promise<void>;
  /**
   * Freezes one node (SIGSTOP): its connections stay open but it answers nothing and replicates
   * nothing, as a stalled machine; `resumeNode` (SIGCONT) lets it go on where it stopped.
   */
  pauseNode(node: string): void;
  resumeNode(node: string): void;
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
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const count = masters * (1 + replicas);
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, index) =>
      startClusterNode({
        dataDir: join(resolve(options.dataDir), `node-${index + 1}`),
        host,
        log: options.log,
        nodeTimeoutMs: options.nodeTimeoutMs ?? 5000,
      }),
    ),
  );
  const servers = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(
      servers.map((server) => {
        // A paused node would only take SIGTERM once resumed.
        if (server.exitStatus() === undefined) resume(server.pid);
        return server.stop();
      }),
    );
  };
  try {
    const failure = started.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    const nodes = servers.map((server) => `${host}:${server.port}`);
    await createCluster(cli, nodes, replicas);
    await waitUntilConsistent(host, servers, masters * replicas);
    let stopping: Promise<void> | undefined;
    const serverOf = (node: string): EmbeddedRedis => {
      const server = servers[nodes.indexOf(node)];
      if (server === undefined) throw new Error(`${node} is not a node of this cluster`);
      return server;
    };
    return {
      nodes,
      url: `redis+cluster://${nodes.join(',')}`,
      stopNode: async (node) => {
        await serverOf(node).stop();
      },
      pauseNode: (node) => {
        process.kill(serverOf(node).pid, 'SIGSTOP');
      },
      resumeNode: (node) => resume(serverOf(node).pid),
      stop: () => (stopping ??= stop()),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGCONT; a process that has exited meanwhile needs none. */
function resume(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // ESRCH: gone already.
  }
}

const BUS_PORT_ATTEMPTS = 5;

/**
 * One cluster-enabled redis-server. Its bus port is picked free, like its client port, and may
 * be taken in between (by another node's client port, say): then the node starts again on new ports.
 */
async function startClusterNode(node: {
  dataDir: string;
  host: string;
  log: ((line: string) => void) | undefined;
  nodeTimeoutMs: number;
}): Promise<EmbeddedRedis> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startEmbeddedRedis({
        dataDir: node.dataDir,
        host: node.host,
        appendOnly: false,
        log: node.log,
        extraArgs: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf', // in the node's own --dir
          // The bus port defaults to port + 10000, which is past 65535 for high free ports.
          '--cluster-port',
          String(await findFreePort(node.host)),
          '--cluster-node-timeout',
          String(node.nodeTimeoutMs),
        ],
      });
    } catch (error) {
      const clash = error instanceof RedisServerStartError && error.portInUse;
      if (!clash || attempt >= BUS_PORT_ATTEMPTS) throw error;
    }
  }
}

function findRedisCli(serverBinary: string): string | undefined {
  const besideServer = join(dirname(serverBinary), 'redis-cli');
  return isExecutableFile(besideServer) ? besideServer : findExecutable('redis-cli');
}

async function createCluster(cli: string, nodes: readonly string[], replicas: number): Promise<void> {
  const args = ['--cluster', 'create', ...nodes, '--cluster-replicas', String(replicas), '--cluster-yes'];
  try {
    await run(cli, args, { timeout: READY_TIMEOUT_MS });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-15);
    throw new RedisServerStartError(`redis-cli --cluster create ${nodes.join(' ')} failed`, output, false);
  }
}

/**
 * Waits until every node has all slots covered and knows every other node, and `replicas`
 * replicas are in sync with their masters (only a replica with a live link can take over).
 */
async function waitUntilConsistent(host: string, servers: readonly EmbeddedRedis[], replicas: number): Promise<void> {
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
    if (consistent && (await syncedReplicas(host, servers)) >= replicas) return;
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

async function syncedReplicas(host: string, servers: readonly EmbeddedRedis[]): Promise<number> {
  const infos = await Promise.all(
    servers.map((server) => sendRedisCommand(host, server.port, ['INFO', 'replication'], 1_000).catch(() => '')),
  );
  return infos.filter(
    (info) => typeof info === 'string' && /^role:slave\r?$/m.test(info) && /^master_link_status:up\r?$/m.test(info),
  ).length;
}
