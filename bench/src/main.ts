import { parseCliOptions, usage, UsageError } from './cli-options.js';
import { createProgress } from './progress.js';
import { formatReportTable, reportJsonLines } from './report.js';
import { reportFromJsonFiles } from './report-from-json.js';
import { runBench } from './run-bench.js';

/**
 * `npm run bench`: the table and one JSON line per scenario on stdout; a status line and notes
 * on stderr only when it is a terminal. Exit code 0 when every scenario ran (targets met or not),
 * 1 when one could not run, 2 on a usage error, 130 when interrupted (the report so far is printed).
 */
async function main(): Promise<number> {
  let options: ReturnType<typeof parseCliOptions>;
  try {
    options = parseCliOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  if (options.from) {
    const report = await reportFromJsonFiles(options.from);
    console.log(formatReportTable(report));
    return report.scenarios.some((s) => s.errors.length > 0) ? 1 : 0;
  }

  const progress = createProgress(process.stderr);
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130); // children are killed by the exit hook
    progress.note(`${signal}: stopping the service and cleaning up (again to quit at once)`);
    abort.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const report = await runBench({
    ...options,
    serviceEnv: process.env,
    signal: abort.signal,
    onProgress: (text) => progress.update(text),
    onNotice: (text) => progress.note(text),
  });
  progress.clear();
  console.log(formatReportTable(report));
  console.log('');
  for (const line of reportJsonLines(report)) console.log(line);
  if (report.interrupted) return 130;
  return report.scenarios.some((s) => s.errors.length > 0) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('bench failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
