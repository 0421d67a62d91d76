import { childMemoryEnv, ConfigError, loadConfig, type Config } from '@longshore/config';
import { RedisServerNotFoundError, findRedisServer, installRedisServer } from '@longshore/embedded-redis';
import {
  CONNECTIONS_FROM_LAUNCHER,
  ConnectionBalancer,
  ListenError,
  createLogger,
  startOpsServer,
  type Logger,
} from '@longshore/telemetry';
import { aggregatedMetrics } from './aggregated-metrics.js';
import { generatedAdminKey } from './generated-admin-key.js';
import { locateApp } from './locate-app.js';
import { ChildStartError, SupervisedProcess } from './supervised-process.js';
import { SupervisedRedis } from './supervised-redis.js';

/**
 * `npm start`: the whole service on one machine. Without REDIS_URL it runs a private
 * redis-server under DATA_DIR; then API_PROCESSES API processes, to which this process hands the
 * connections of the port it holds, and WORKER_PROCESSES workers. Every child, Redis included, is
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
  const balancer = new ConnectionBalancer({ log });

  let stopping: Promise<void> | undefined;
  const stop = (reason: string, exitCode: number) =>
    (stopping ??= (async () => {
      // Every child first learns it is being stopped, so no exit during the stop reads as a death.
      for (const child of [...apis, ...workers, redis]) child?.stopping();
      log.info({ signal: reason }, 'stopping Longshore');
      // No new connections (the kernel refuses them); those open are the API processes' to finish.
      balancer.close();
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

  // The API port: this process accepts its connections and hands each to an API process.
  const port = await balancer.listen(config.port, config.host, 'PORT (and HOST)');

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
    // The API processes listen on nothing: each connection to the port is accepted here, unread,
    // and handed to the ready API process with the fewest open connections (ties in turn), which
    // tells this process when it accepted it and when it closed it (ConnectionBalancer). So a few
    // long uploads are spread over the processes. A connection one of them had not yet accepted
    // when it died is reset here, so its client retries; none is left without an answer. (node:cluster's
    // round-robin left such a connection open forever, nodejs/node#3551; its SCHED_NONE, where each
    // process accepts from the shared socket, answered all but let one busy process take most
    // connections: test/launcher/api-kill-connections.test.ts, balanced-connections.test.ts.)
    const apiEntry = locateApp('@longshore/api');
    for (let i = 0; i < config.apiProcesses; i++) {
      const name = `api-${i + 1}`;
      apis.push(
        new SupervisedProcess({
          name,
          entry: apiEntry,
          env,
          log,
          args: [CONNECTIONS_FROM_LAUNCHER],
          execArgv: [],
          onReady: (child) => balancer.add(name, child),
        }),
      );
    }

    await Promise.all(workers.map((w) => w.start()));
    await Promise.all(apis.map((a) => a.start()));
    const scheme = config.tlsCertFile ? 'https' : 'http';
    log.info(
      {
        url: `${scheme}://${config.host}:${port}`,
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
