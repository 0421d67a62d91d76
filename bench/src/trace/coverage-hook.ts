/**
 * Loaded with `--import` into the API and worker by `npm run trace`: starts V8 precise coverage
 * (call counts, function granularity) in the process's main thread and answers the tracer's
 * IPC message `trace-coverage-take` with the functions of Longshore's own files that ran since
 * the last take (a take also resets the counters). Nothing else in the process changes.
 */
import { Session } from 'node:inspector/promises';
import { isMainThread } from 'node:worker_threads';
import type { CoverageReply, RanFunction } from './coverage-messages.js';

interface ScriptCoverage {
  url: string;
  functions: { functionName: string; ranges: { startOffset: number; endOffset: number; count: number }[] }[];
}

if (isMainThread && process.send) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });

  process.on('message', (message: { type?: string } | null) => {
    if (message?.type !== 'trace-coverage-take') return;
    void takeRanFunctions(session).then((ran) => {
      const reply: CoverageReply = { type: 'trace-coverage', ran };
      process.send?.(reply);
    });
  });
  // Listening for messages must not keep a process alive that is shutting down.
  process.channel?.unref();
}

async function takeRanFunctions(session: Session): Promise<RanFunction[]> {
  const { result } = (await session.post('Profiler.takePreciseCoverage')) as { result: ScriptCoverage[] };
  const ran: RanFunction[] = [];
  for (const script of result) {
    if (!script.url.startsWith('file:') || script.url.includes('/node_modules/')) continue;
    for (const fn of script.functions) {
      const range = fn.ranges[0];
      // The module body (the script's own top-level function) does not count: only functions.
      if (!range || range.count === 0 || (range.startOffset === 0 && fn.functionName === '')) continue;
      ran.push({ url: script.url, name: fn.functionName, calls: range.count });
    }
  }
  return ran;
}
