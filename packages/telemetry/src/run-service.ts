import type { Registry } from 'prom-client';
import { ConfigError, loadConfig, type Config } from '@longshore/config';
import { createLogger, type Logger } from './create-logger.js';
import { answerMetricRequests } from './metrics-ipc.js';
import { ListenError } from './ops-server.js';

export interface RunningService {
  /** Sent to a parent process over IPC once serving (the launcher and the tests wait for it). */
  readyMessage: Record<string, unknown>;
  /** Stops taking work and lets active work finish. */
  stop(): Promise<void>;
  /** This process's metrics, which the launcher of `npm start` aggregates over IPC. */
  metrics?: Registry;
}

/** The IPC message a child sends its launcher when it cannot start (the launcher prints `message`). */
export interface StartFailedMessage {
  type: 'start-failed';
  message: string;
}

/**
 * The life of one service process: read the configuration once, start, report ready, and on
 * SIGTERM/SIGINT stop gracefully within SHUTDOWN_TIMEOUT_MS. A bad configuration or a failed
 * start exits 1 with a clear message; so does an unhandled rejection, so a supervisor restarts
 * a clean process instead of one in an unknown state.
 */
export function runService(name: string, start: (config: Config, log: Logger) => Promise<RunningService>): void {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  }
  const log = createLogger({ name, level: config.logLevel, format: config.logFormat });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection: exiting so the supervisor restarts a clean process');
    process.exit(1);
  });

  start(config, log).then(
    (service) => {
      if (service.metrics) answerMetricRequests(service.metrics);
      process.send?.(service.readyMessage);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping: letting active work finish');
        const deadline = setTimeout(() => {
          log.warn('active work did not finish in time; exiting (unfinished jobs are retried elsewhere)');
          process.exit(1);
        }, config.shutdownTimeoutMs);
        await service.stop();
        clearTimeout(deadline);
        log.info('stopped');
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
      // A child of the launcher whose launcher is gone (killed): stop rather than run unsupervised.
      process.on('disconnect', () => void stop('launcher gone'));
    },
    (err: unknown) => {
      // A taken port is a configuration problem, not a crash: one line naming the setting.
      if (err instanceof ListenError) log.fatal(`${name} failed to start: ${err.message}`);
      else log.fatal({ err }, `${name} failed to start`);
      const message = err instanceof Error ? err.message : String(err);
      if (process.send)
        process.send({ type: 'start-failed', message } satisfies StartFailedMessage, () => process.exit(1));
      else process.exit(1);
    },
  );
}
