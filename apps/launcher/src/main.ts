import cluster from 'node:cluster';
import { childMemoryEnv, ConfigError, loadConfig, type Config } from '@longshore/config';
import { RedisServerNotFoundError, findRedisServer, installRedisServer } from '@longshore/embedded-redis';
import { ListenError, createLogger, startOpsServer, type Logger } from '@longshore/telemetry';
import { aggregatedMetrics } from './aggregated-metrics.js';
import { generatedAdminKey } from './generated-admin-key.js';
import { locateApp } from './locate-app.js';
import { ChildStartError, SupervisedProcess } from './supervised-process.js';
import { SupervisedRedis } from './supervised-redis.js';

/**
 * `npm start`: the whole service on one machine. Without REDIS_URL it runs a private
 * redis-server under DATA_DIR; then API_PROCESSES API processes (node:cluster workers sharing
 * one port) and WORKER_PROCESSES workers as separate processes. Every child, Redis included, is
 * restarted quickly if it dies. METRICS_PORT serves one aggregated /metrics of them all.
 * Ctrl-C or SIGTERM stops them once, in order (API, workers, Redis), letting active requests and
 * jobs finish, and exits 0.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger({ name: 'longshore', level: config.logLevel, format: config.logFormat });
  const apis: SupervisedProcess[] = [];
  const workers: SupervisedProcess[] = [];
  let redis: SupervisedRedis | undefined;
  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (reason: string, exitCode: number) =>
    (stopping ??= (async () => {
      // Every child first learns it is being stopped, so no exit during the stop reads as a death.
      for (const child of [...apis, ...workers, redis]) child?.stopping();
      log.info({ signal: reason }, 'stopping Longshore');
      await Promise.all(apis.map((a) => a.stop()));
      await Promise.all(workers.map((w) => w.stop()));
      await redis?.stop();
      ops?.server.close();
      log.info('Longshore stopped');
      process.exit(exitCode);
    })());
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));

  // First, so a second instance on this machine fails at once, naming the setting.
  ops = await startOpsServer({
    port: config.metricsPort,
    host: config.metricsHost,
    settings: 'METRICS_PORT (and METRICS_HOST)',
    metrics: () => aggregatedMetrics([...apis, ...workers]),
    readiness: [
      {
        name: 'processes',
        check: async () => {
          const down = [...apis, ...workers].filter((c) => !c.running).map((c) => c.name);
          if (down.length > 0) throw new Error(`not running: ${down.join(', ')}`);
        },
      },
    ],
  });

  try {
    redis = config.redisUrl ? undefined : await startPrivateRedis(config, log);
    const redisUrl = config.redisUrl ?? redis!.url;
    const adminKey = await generatedAdminKey(config, log);
    const env = {
      ...process.env,
      REDIS_URL: redisUrl,
      DATA_DIR: config.dataDir,
      // Each child's own operations listener is on a free loopback port; METRICS_PORT is this process's.
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      // Malloc and V8 young-generation settings that keep each child's peak RSS low (child-memory-env.ts).
      ...childMemoryEnv(config, process.env.NODE_OPTIONS),
      ...(adminKey
        ? { ADMIN_ACCESS_KEY_ID: adminKey.accessKeyId, ADMIN_SECRET_ACCESS_KEY: adminKey.secretAccessKey }
        : {}),
    };
    for (let i = 0; i < config.workerProcesses; i++) {
      workers.push(new SupervisedProcess({ name: `worker-${i + 1}`, entry: locateApp('@longshore/worker'), env, log }));
    }
    // The API processes are cluster workers: they listen on one port, which this process holds,
    // so a connection always finds a live API process while a crashed one restarts. They accept
    // from it themselves (SCHED_NONE): with round-robin this process accepts and hands each
    // connection over, and one handed to a process that has just died was never answered
    // (nodejs/node#3551; test/launcher/api-kill-connections.test.ts). Now a connection the kernel
    // queued waits for the live process, and one a dead process had accepted is reset.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: locateApp('@longshore/api'), execArgv: [], silent: false });
    for (let i = 0; i < config.apiProcesses; i++) {
      apis.push(
        new SupervisedProcess({
          name: `api-${i + 1}`,
          entry: locateApp('@longshore/api'),
          env,
          log,
          spawn: (childEnv) => cluster.fork(childEnv).process,
        }),
      );
    }

    await Promise.all(workers.map((w) => w.start()));
    const [first] = (await Promise.all(apis.map((a) => a.start()))) as { port?: number }[];
    const scheme = config.tlsCertFile ? 'https' : 'http';
    log.info(
      {
        url: `${scheme}://${config.host}:${first?.port ?? config.port}`,
        metrics: `http://${config.metricsHost}:${ops.port}/metrics`,
        apiProcesses: apis.length,
        workers: workers.length,
        redis: redis ? 'embedded' : 'external',
        dataDir: config.dataDir,
      },
      'Longshore is serving',
    );
  } catch (err) {
    // What could not start is said once, plainly; what did start is stopped in order.
    if (err instanceof ChildStartError || err instanceof RedisServerNotFoundError) console.error(err.message);
    else console.error('Longshore failed to start:', err);
    await stop('failed to start', 1);
  }
}

async function startPrivateRedis(config: Config, log: Logger): Promise<SupervisedRedis> {
  if (!findRedisServer()) {
    log.warn('redis-server is not installed; trying to install it from the OS packages');
    const installed = await installRedisServer((line) => log.info({ apt: line }, 'installing redis-server'));
    if (!installed) throw new RedisServerNotFoundError();
  }
  const redis = new SupervisedRedis({ dataDir: config.redisDir, appendFsync: config.redisAppendFsync, log });
  await redis.start();
  log.info(
    { url: redis.url, dir: config.redisDir, appendfsync: config.redisAppendFsync },
    'started a private redis-server (set REDIS_URL to use your own)',
  );
  return redis;
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ListenError) console.error(err.message);
  else console.error('Longshore failed to start:', err);
  process.exit(1);
});
