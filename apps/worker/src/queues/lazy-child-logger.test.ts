import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '@longshore/telemetry';
import { describe, expect, it } from 'vitest';
import { lazyChild } from './lazy-child-logger.js';

/** A JSON logger at `level` and the lines it wrote (without their time). */
function capturing(level: 'info' | 'warn') {
  const destination = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  destination.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
      lines.push(rest);
    }
  });
  const log = createLogger({ name: 'worker', level, format: 'json', destination });
  return { log, lines };
}

const bindings = { uploadId: 'u-1', jobId: '7', attempt: 1 };

function countChildren(log: Logger): { log: Logger; made: () => number } {
  let made = 0;
  const child = log.child.bind(log);
  log.child = ((...args: Parameters<Logger['child']>) => {
    made += 1;
    return child(...args);
  }) as Logger['child'];
  return { log, made: () => made };
}

describe('lazyChild', () => {
  it('logs the same lines as log.child, redaction included', () => {
    const eager = capturing('info');
    const lazy = capturing('info');
    const write = (log: Logger) => {
      log.info({ layerDigest: 'sha256:ab', layerSize: 3 }, 'layer finalized');
      log.warn({ err: new Error('boom'), callbackSecret: 's3cret' }, 'finalize attempt failed; it will be retried');
      log.debug('not logged at info');
    };
    write(eager.log.child(bindings));
    write(lazyChild(lazy.log, bindings));
    const withoutStack = (lines: Record<string, unknown>[]) =>
      lines.map(({ err, ...rest }) => ({ ...rest, err: (err as { message?: string } | undefined)?.message }));
    expect(lazy.lines).toHaveLength(2);
    expect(withoutStack(lazy.lines)).toEqual(withoutStack(eager.lines));
    expect(lazy.lines[0]).toMatchObject({ uploadId: 'u-1', jobId: '7', attempt: 1, msg: 'layer finalized' });
    expect(lazy.lines[1]).toMatchObject({ callbackSecret: '[redacted]' });
  });

  it('makes no child for calls below the level, and one for all the calls that log', () => {
    const { log, lines } = capturing('warn');
    const counted = countChildren(log);
    const jobLog = lazyChild(counted.log, bindings);
    jobLog.info({ layerDigest: 'sha256:ab' }, 'layer finalized');
    jobLog.debug('layer published');
    expect(counted.made()).toBe(0);
    jobLog.warn('one');
    jobLog.error('two');
    expect(counted.made()).toBe(1);
    expect(lines.map((line) => [line.msg, line.uploadId])).toEqual([
      ['one', 'u-1'],
      ['two', 'u-1'],
    ]);
  });

  it('answers what the child answers (its level, its bindings, its own children)', () => {
    const { log, lines } = capturing('info');
    const jobLog = lazyChild(log, bindings);
    expect(jobLog.level).toBe('info');
    expect(jobLog.bindings()).toMatchObject(bindings);
    jobLog.child({ part: 2 }).info('nested');
    expect(lines).toEqual([expect.objectContaining({ msg: 'nested', uploadId: 'u-1', part: 2 })]);
  });
});
