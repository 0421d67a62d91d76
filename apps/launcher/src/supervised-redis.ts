import { setTimeout as sleep } from 'node:timers/promises';
import {
  removeRedisRuntimeFile,
  startEmbeddedRedis,
  writeRedisRuntimeFile,
  type AppendFsync,
  type EmbeddedRedis,
} from '@longshore/embedded-redis';
import type { Logger } from '@longshore/telemetry';
import { RestartDelay } from './restart-delay.js';

export interface SupervisedRedisOptions {
  dataDir: string;
  appendFsync: AppendFsync;
  log: Logger;
}

/**
 * The private redis-server, supervised like the other children: if it dies it is started again,
 * quickly, on the same port and from the same append-only file, so clients reconnect to the same
 * URL and find every acknowledged write.
 */
export class SupervisedRedis {
  private current?: EmbeddedRedis;
  private port = 0;
  private isStopping = false;
  private startedAt = 0;
  private readonly delay = new RestartDelay();
  /** How many times redis-server was restarted after dying. */
  restarts = 0;

  constructor(private readonly options: SupervisedRedisOptions) {}

  get url(): string {
    if (!this.current) throw new Error('redis-server has not been started');
    return this.current.url;
  }

  async start(): Promise<EmbeddedRedis> {
    const { dataDir, appendFsync, log } = this.options;
    this.startedAt = Date.now();
    const redis = await startEmbeddedRedis({
      dataDir,
      port: this.port,
      appendOnly: true,
      appendFsync,
      // Its own process group: Ctrl-C reaches the launcher alone, which stops Redis last,
      // after the API and the workers have finished their work.
      ownProcessGroup: true,
      log: (line) => log.debug({ redis: line }, 'redis-server'),
    });
    this.current = redis;
    this.port = redis.port;
    // `npx longshore …` finds this redis-server through DATA_DIR.
    await writeRedisRuntimeFile(dataDir, { url: redis.url, pid: redis.pid });
    log.info({ process: 'redis', childPid: redis.pid, url: redis.url, restarts: this.restarts }, 'process ready');
    void redis.exited.then(() => this.onExit(redis));
    return redis;
  }

  private async onExit(redis: EmbeddedRedis): Promise<void> {
    const { log } = this.options;
    let ranFor = Date.now() - this.startedAt;
    while (!this.isStopping) {
      const delay = this.delay.next(ranFor);
      this.restarts += 1;
      log.error(
        {
          process: 'redis',
          childPid: redis.pid,
          status: redis.exitStatus(),
          restartInMs: delay,
          restarts: this.restarts,
        },
        'process died; restarting',
      );
      await sleep(delay);
      if (this.isStopping) return;
      try {
        await this.start();
        return;
      } catch (err) {
        log.error({ err, process: 'redis' }, 'restart failed');
        ranFor = 0;
      }
    }
  }

  /** From now on an exit is a stop, not a death: called as soon as the launcher stops. */
  stopping(): void {
    this.isStopping = true;
  }

  async stop(): Promise<void> {
    this.isStopping = true;
    await this.current?.stop();
    await removeRedisRuntimeFile(this.options.dataDir);
  }
}
