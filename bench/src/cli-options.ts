import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isScenarioName, scenarioNames, type BenchOptions, type ScenarioName } from './bench-options.js';

export const usage = `Usage: npm run bench -- [options]

Starts Longshore (a private redis-server, the worker, the API processes) once per scenario run, or
targets BENCH_ENDPOINT, and prints a table plus one JSON line per scenario on stdout.

Options (environment variable in brackets):
  --scenario <name>   run only this scenario; repeatable            [BENCH_SCENARIOS, comma-separated]
                      ${scenarioNames.join(', ')}
  --quick             smoke sizes (3 s of small pushes, 64 MiB layer, …)  [BENCH_QUICK=1]
  --runs <n>          run each scenario n times, report the medians (e.g. --runs 3)  [BENCH_RUNS]
  --duration <s>      measured seconds of small-pushes (default 15, quick 3)  [BENCH_DURATION_S]
  --warmup <s>        unmeasured seconds of small pushes before that window (default 10,
                      quick 0.6)                                            [BENCH_WARMUP_S]
  --endpoint <url>    an already running deployment; memory is then skipped  [BENCH_ENDPOINT]
  --data-dir <dir>    parent of the service's data directories (default: the OS temp dir)  [BENCH_DATA_DIR]
  --cpu-prof <dir>    run the API and workers with node --cpu-prof; profiles go to
                      <dir>/<scenario>-run<n>/<process>/                    [BENCH_CPU_PROF_DIR]
  --storage <kind>    filesystem (default) or s3: Longshore with STORAGE=s3 on an embedded
                      OpenStack Swift (S3 API) started per run              [BENCH_STORAGE]
  --auth <on|off>     authentication of the service: on (AUTH=sigv4, the default, as npm start;
                      the clients sign with a key made by longshore keys create) or off
                      (AUTH=off; the clients still sign, the service ignores it)  [BENCH_AUTH]
  --peer <registry>   also run each scenario against this CNCF distribution binary (e.g.
                      ../shared/bin/registry-3), started per run; the table adds
                      Longshore ÷ distribution                             [BENCH_PEER_REGISTRY]
  --from <file>       run nothing: print the table (and issue 17's) of the JSON lines in these
                      earlier outputs (repeatable; a scenario's last line counts), e.g. groups
                      of scenarios run one after another (bench/issue17.sh)
  -h, --help

The service processes inherit this environment (so e.g. HASH_THREADS=1 or WORKER_CONCURRENCY=4
are tried as they would be with npm start); the bench sets REDIS_URL, DATA_DIR, HOST, PORT,
METRICS_PORT, LOG_LEVEL=warn, LOG_FORMAT=json and VERIFY_MODE itself. WORKER_PROCESSES workers
are started (default 1), and API_PROCESSES API processes under a primary holding the port, as npm start
runs them (default the service's, 2).`;

const argSpec = {
  scenario: { type: 'string', multiple: true },
  quick: { type: 'boolean' },
  runs: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  endpoint: { type: 'string' },
  'data-dir': { type: 'string' },
  peer: { type: 'string' },
  storage: { type: 'string' },
  auth: { type: 'string' },
  'cpu-prof': { type: 'string' },
  from: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

export class UsageError extends Error {}

export type CliOptions = BenchOptions & { help: boolean; from?: string[] };

/** Options from the command line, falling back to BENCH_* environment variables. */
export function parseCliOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliOptions {
  let values: ReturnType<typeof parseArgs<{ options: typeof argSpec }>>['values'];
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: argSpec,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const scenarioList = values.scenario ?? (env.BENCH_SCENARIOS ? env.BENCH_SCENARIOS.split(',') : undefined);
  const scenarios = scenarioList
    ?.map((s) => s.trim())
    .filter(Boolean)
    .map(scenarioName);
  const quick = values.quick ?? ['1', 'true', 'yes'].includes((env.BENCH_QUICK ?? '').toLowerCase());
  const runs = integer('--runs', values.runs ?? env.BENCH_RUNS, 1, 25);
  const duration = integer('--duration', values.duration ?? env.BENCH_DURATION_S, 1, 3600);
  const warmup = integer('--warmup', values.warmup ?? env.BENCH_WARMUP_S, 0, 600);
  const sizes = {
    ...(duration !== undefined ? { smallPushSeconds: duration } : {}),
    ...(warmup !== undefined ? { smallPushWarmupSeconds: warmup } : {}),
  };
  const endpoint = values.endpoint ?? (env.BENCH_ENDPOINT || undefined);
  if (endpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) {
    throw new UsageError(`the endpoint must look like http://host:port, got '${endpoint}'`);
  }
  const dataRoot = values['data-dir'] ?? (env.BENCH_DATA_DIR || undefined);
  const cpuProfileDir = values['cpu-prof'] ?? (env.BENCH_CPU_PROF_DIR || undefined);
  const storage = values.storage ?? (env.BENCH_STORAGE || undefined);
  if (storage !== undefined && storage !== 'filesystem' && storage !== 's3') {
    throw new UsageError(`--storage must be filesystem or s3, got '${storage}'`);
  }
  const authText = (values.auth ?? (env.BENCH_AUTH || undefined))?.toLowerCase();
  if (authText !== undefined && !['on', 'sigv4', 'off'].includes(authText)) {
    throw new UsageError(`--auth must be on or off, got '${authText}'`);
  }
  const auth = authText === undefined ? undefined : authText === 'off' ? 'off' : 'sigv4';
  const peerRegistry = values.peer ?? (env.BENCH_PEER_REGISTRY || undefined);
  if (peerRegistry !== undefined && !isExecutable(peerRegistry)) {
    throw new UsageError(`the peer registry '${peerRegistry}' is not an executable file`);
  }

  return {
    help: values.help ?? false,
    ...(values.from ? { from: values.from } : {}),
    quick,
    ...(scenarios ? { scenarios: [...new Set(scenarios)] } : {}),
    ...(runs !== undefined ? { runs } : {}),
    ...(Object.keys(sizes).length > 0 ? { sizes } : {}),
    ...(endpoint ? { endpoint: endpoint.replace(/\/$/, '') } : {}),
    ...(dataRoot ? { dataRoot } : {}),
    ...(storage ? { storage } : {}),
    ...(auth ? { auth } : {}),
    ...(peerRegistry ? { peerRegistry: path.resolve(peerRegistry) } : {}),
    ...(cpuProfileDir ? { cpuProfileDir: path.resolve(cpuProfileDir) } : {}),
  };
}

function scenarioName(name: string): ScenarioName {
  if (!isScenarioName(name)) throw new UsageError(`unknown scenario '${name}'; known: ${scenarioNames.join(', ')}`);
  return name;
}

function integer(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
