import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';

/** pino-pretty (and its colour and formatting helpers) is loaded only by a process that logs pretty. */
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => PrettyStream;

export type { Logger };

export interface LoggerOptions {
  name: string;
  level: LevelWithSilent;
  /** `auto` is pretty on a terminal and JSON otherwise (files, pipes, log shippers). */
  format: 'auto' | 'json' | 'pretty';
  destination?: NodeJS.WritableStream;
}

/**
 * Paths that must never reach a log line: layer bytes and credentials. Request bodies are not
 * logged at all; these are a second line of defence for objects passed by mistake.
 */
const redactPaths = [
  'layerPartBlob',
  '*.layerPartBlob',
  'authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers["x-amz-security-token"]',
  'headers["x-amz-security-token"]',
  'callbackSecret',
  '*.callbackSecret',
];

export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && Boolean(process.stdout.isTTY));
  const base = {
    name: options.name,
    level: options.level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (usePretty) {
    const pretty: PrettyStream = loadPretty()({ colorize: true, sync: true, destination: options.destination ?? 1 });
    return pino(base, pretty);
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
