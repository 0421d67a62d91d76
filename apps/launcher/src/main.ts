import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from '@longshore/config';
import { RedisServerNotFoundError, findRedisServer, installRedisServer } from '@longshore/embedded-redis';
import { createLogger, type Logger } from '@longshore/telemetry';
import { generatedAdminKey } from './generated-admin-key.js';
import { locateApp } from './locate-app.js';
import { SupervisedProcess } from './supervised-process.js';
import { SupervisedRedis } from './supervised-redis.js';

/**
 * `npm start`: the whole service on one machine. Without REDIS_URL it runs a private
 * redis-server under DATA_DIR; then API_PROCESSES API processes (node:cluster workers sharing
 * one port) and WORKER_PROCESSES workers as separate processes. Every child, Redis included, is
 * restarted quickly if it dies. Ctrl-C or SIGTERM stops them all, letting active requests and
 * jobs finish.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger({ name: 'longshore', level: config.logLevel, format: config.logFormat });

  const redis = config.redisUrl ? undefined : await startPrivateRedis(config, log);
  const redisUrl = config.redisUrl ?? redis!.url;
  const adminKey = await generatedAdminKey(config, log);
  const env = {
    ...process.env,
    REDIS_URL: redisUrl,
    DATA_DIR: config.dataDir,
    ...(adminKey
      ? { ADMIN_ACCESS_KEY_ID: adminKey.accessKeyId, ADMIN_SECRET_ACCESS_KEY: adminKey.secretAccessKey }
      : {}),
  };

  const workers = Array.from(
    { length: config.workerProcesses },
    (_, i) =>
      new SupervisedProcess({
        name: `worker-${i + 1}`,
        entry: locateApp('@longshore/worker'),
        env: { ...env, METRICS_PORT: String(config.metricsPort === 0 ? 0 : config.metricsPort + i) },
        log,
      }),
  );
  // The API processes are cluster workers: they listen on one port, which this process holds,
  // so a connection always finds a live API process while a crashed one restarts.
  cluster.setupPrimary({ exec: locateApp('@longshore/api'), execArgv: [], silent: false });
  const apis = Array.from(
    { length: config.apiProcesses },
    (_, i) =>
      new SupervisedProcess({
        name: `api-${i + 1}`,
        entry: locateApp('@longshore/api'),
        env,
        log,
        spawn: (childEnv) => cluster.fork(childEnv).process,
      }),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping Longshore');
    await Promise.all(apis.map((a) => a.stop()));
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
    log.info('Longshore stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await Promise.all(workers.map((w) => w.start()));
  const [first] = (await Promise.all(apis.map((a) => a.start()))) as { port?: number }[];
  log.info(
    {
      url: `http://${config.host}:${first?.port ?? config.port}`,
      apiProcesses: apis.length,
      workers: workers.length,
      redis: redis ? 'embedded' : 'external',
      dataDir: config.dataDir,
    },
    'Longshore is serving',
  );
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
  if (err instanceof ConfigError || err instanceof RedisServerNotFoundError) console.error(err.message);
  else console.error('Longshore failed to start:', err);
  process.exit(1);
});
