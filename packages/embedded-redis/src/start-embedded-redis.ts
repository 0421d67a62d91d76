import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createOutputTail,
  findFreePort,
  type OutputTail,
  type SupervisedChild,
  saysPortInUse,
  startChild,
} from '@longshore/embedded-process';
import { findRedisServer } from './find-redis-server.js';
import { sendRedisCommand } from './redis-command.js';
import { RedisServerNotFoundError } from './redis-server-not-found-error.js';
import { RedisServerStartError } from './redis-server-start-error.js';

export interface EmbeddedRedisOptions {
  /** redis-server's working directory (`--dir`), holding the AOF; created if missing. */
  dataDir: string;
  /** 0 or undefined: pick a free port on `host`. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** redis-server executable; default: found on PATH, then the well-known install paths. */
  binary?: string;
  /** Append-only file on; default true. */
  appendOnly?: boolean;
  /**
   * When the AOF is fsynced: `always` (before a write is acknowledged: nothing acknowledged is
   * lost on power loss; the default), `everysec` (up to about a second may be lost), `no`.
   */
  appendFsync?: AppendFsync;
  /** Receives redis-server's output lines; default: discarded. */
  log?: (line: string) => void;
  /** More redis-server arguments, after the defaults (e.g. `--cluster-enabled yes`). */
  extraArgs?: readonly string[];
  /**
   * Run it in a process group of its own, so Ctrl-C in a terminal does not reach it and a
   * supervisor stops it when it chooses (still SIGTERM when this process exits). Default false.
   */
  ownProcessGroup?: boolean;
}

export type AppendFsync = 'always' | 'everysec' | 'no';

export interface EmbeddedRedis {
  /** `redis://host:port`, for a Redis client. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM (graceful: flushes the AOF), SIGKILL if still running after 10 s. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when the process has ended, for whatever reason (a supervisor restarts it). */
  readonly exited: Promise<void>;
  /** How it ended (`was killed by SIGKILL`, `exited with code 1`), once it has. */
  exitStatus(): string | undefined;
}

const READY_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 500;
const POLL_INTERVAL_MS = 25;
const PORT_ATTEMPTS = 3;
const OUTPUT_TAIL_LINES = 20;

/**
 * Starts a private redis-server child process and resolves once it answers PING. Unless
 * `ownProcessGroup`, Ctrl-C in a terminal reaches it too; it is sent SIGTERM when this process
 * exits without having called stop().
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = findRedisServer(opts.binary);
  if (binary === undefined) throw new RedisServerNotFoundError(opts.binary);
  const host = opts.host ?? '127.0.0.1';
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const settings = {
    binary,
    host,
    dataDir,
    appendOnly: opts.appendOnly ?? true,
    appendFsync: opts.appendFsync ?? 'always',
    log: opts.log,
    extraArgs: opts.extraArgs ?? [],
    ownProcessGroup: opts.ownProcessGroup ?? false,
  };

  const fixedPort = opts.port !== undefined && opts.port !== 0 ? opts.port : undefined;
  for (let attempt = 1; ; attempt += 1) {
    // A picked port may be taken between probing and redis binding it: try another one.
    const port = fixedPort ?? (await findFreePort(host));
    try {
      return await launch({ ...settings, port });
    } catch (error) {
      const clash = error instanceof RedisServerStartError && error.portInUse;
      if (!clash || fixedPort !== undefined || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

interface LaunchSettings {
  binary: string;
  host: string;
  port: number;
  dataDir: string;
  appendOnly: boolean;
  appendFsync: AppendFsync;
  log: ((line: string) => void) | undefined;
  extraArgs: readonly string[];
  ownProcessGroup: boolean;
}

function redisServerArgs({ host, port, dataDir, appendOnly, appendFsync, extraArgs }: LaunchSettings): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    host,
    '--dir',
    dataDir,
    '--appendonly',
    appendOnly ? 'yes' : 'no',
    '--appendfsync',
    appendFsync,
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--logfile',
    '', // log to stdout, which we read
    ...extraArgs,
  ];
}

async function launch(settings: LaunchSettings): Promise<EmbeddedRedis> {
  const { binary, host, port } = settings;
  const output = createOutputTail(OUTPUT_TAIL_LINES, settings.log);
  const child = startChild(binary, redisServerArgs(settings), {
    name: 'redis-server',
    onLine: output.onLine,
    ownProcessGroup: settings.ownProcessGroup,
  });

  try {
    await waitUntilReady(child, host, port, output);
  } catch (error) {
    child.kill('SIGKILL');
    await child.exited;
    throw error;
  }

  const pid = child.pid;
  if (pid === undefined) throw new Error('redis-server answered but has no pid'); // unreachable
  return {
    url: `redis://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    pid,
    stop: () => child.stop(),
    exited: child.exited,
    exitStatus: () => child.exitStatus(),
  };
}

/** Polls with PING until our child answers, failing early if it exits or another server answers. */
async function waitUntilReady(child: SupervisedChild, host: string, port: number, output: OutputTail): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.outputClosed()) {
      throw new RedisServerStartError(
        `redis-server ${child.exitStatus() ?? 'stopped'} before accepting connections on ${host}:${port}`,
        output.lines(),
        saysPortInUse(output.lines()),
      );
    }
    const answeringPid = await probe(host, port);
    if (answeringPid !== undefined && answeringPid === child.pid) return;
    if (answeringPid !== undefined) {
      throw new RedisServerStartError(
        `${host}:${port} is already served by another redis-server (pid ${answeringPid})`,
        output.lines(),
        true,
      );
    }
    if (Date.now() >= deadline) {
      const status = child.exitStatus();
      throw new RedisServerStartError(
        `redis-server did not accept connections on ${host}:${port} within ${READY_TIMEOUT_MS / 1000} s` +
          (status === undefined ? '' : ` (it ${status})`),
        output.lines(),
        false,
      );
    }
    await delay(POLL_INTERVAL_MS);
  }
}

/**
 * The pid of the redis-server answering on host:port, or undefined while nothing answers PING.
 * The pid tells our child apart from a server that took the port first.
 */
async function probe(host: string, port: number): Promise<number | undefined> {
  try {
    if ((await sendRedisCommand(host, port, ['PING'], PROBE_TIMEOUT_MS)) !== 'PONG') return undefined;
    const info = await sendRedisCommand(host, port, ['INFO', 'server'], PROBE_TIMEOUT_MS);
    const match = typeof info === 'string' ? /^process_id:(\d+)/m.exec(info) : null;
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined; // not listening yet, still loading, or not a Redis
  }
}
