import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import {
  fullSizes,
  isScenarioName,
  quickSizes,
  scenarioNames,
  type BenchOptions,
  type BenchSizes,
} from './bench-options.js';
import { accessKeyFromEnv, EcrSigner } from './bench-auth.js';
import { EcrClient } from './ecr-client.js';
import { HttpTarget } from './http-target.js';
import { finalizeBatches } from './finalize-batches.js';
import { startLocalService, type LocalService } from './local-service.js';
import { measureMachine, measureSha256, type MachineReference } from './machine-reference.js';
import { MemoryWatch, openCpuWindow } from './process-stats.js';
import {
  format,
  isMet,
  resolvePeerTargets,
  resolveTarget,
  type BenchReport,
  type FigureReport,
  type ScenarioReport,
} from './report.js';
import {
  memoryFigureNames,
  type PeerWorkload,
  type RunResult,
  type ScenarioContext,
  type ScenarioDefinition,
} from './scenario.js';
import { scenarioDefinitions } from './scenarios/index.js';
import { median } from './stats.js';
import { LayerFactory } from './synthetic-layers.js';
import { V1Client } from './v1-client.js';
import { NoV2ApiError, OciClient } from './oci-client.js';
import { startPeerRegistry, type PeerRegistry } from './peer-registry.js';
import { removeDiscarded } from './data-trash.js';
import { spreadDataRoot } from './spread-data-root.js';

const MAX_RUNS = 25;
const MAX_SOCKETS = 64;

/** The same workload against the reference registry, in the same run. */
type PeerOutcome = { ok: true; result: RunResult } | { ok: false; error: string };

type RunOutcome = (
  | { ok: true; result: RunResult; sha256MBps: number; issues: string[]; exits: string[] }
  | { ok: false; error: string; issues: string[]; exits: string[]; unavailable?: boolean }
) & { peer?: PeerOutcome };

/** The per-run SHA-256 reference: three trials of this, well under a second in all. */
const RUN_REFERENCE_BYTES = 32 * 1024 * 1024;

/**
 * `npm run bench` as a function: measures the machine's references, then runs each scenario
 * `runs` times, each time on a freshly started service (or against `endpoint`), and returns
 * the medians with their targets. Never throws for a failing scenario: that is reported. When
 * `signal` aborts, the run under way is stopped and cleaned up, and the report so far returned
 * with `interrupted` set.
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const sizes: BenchSizes = { ...(options.quick ? quickSizes : fullSizes), ...options.sizes };
  const scenarios = options.scenarios ?? scenarioNames;
  for (const name of scenarios) if (!isScenarioName(name)) throw new Error(`unknown scenario '${String(name)}'`);
  const runs = options.runs ?? 1;
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_RUNS) throw new RangeError(`runs must be 1 to ${MAX_RUNS}`);
  const progress = options.onProgress ?? (() => undefined);
  const notice = options.onNotice ?? (() => undefined);
  const { dir: dataRoot, spread } = await spreadDataRoot(options.dataRoot ?? os.tmpdir());
  notice(
    spread
      ? `data directories: each run's in a block group of its own (${dataRoot}, chattr +T)`
      : `data directories: in ${dataRoot}, not spread over block groups (chattr +T refused)`,
  );

  progress('measuring the machine references (SHA-256, disk write)');
  const machine = await measureMachine(sizes, dataRoot);
  notice(
    `references: node:crypto SHA-256 ${format(machine.sha256MBps, 'MB/s')} MB/s, native resumable ${machine.nativeSha256MBps === undefined ? 'not built' : `${format(machine.nativeSha256MBps, 'MB/s')} MB/s`}, hash-wasm ${format(machine.hashWasmMBps, 'MB/s')} MB/s, ` +
      `disk write ${format(machine.diskMBps, 'MB/s')} MB/s`,
  );

  const layers = new LayerFactory(sizes.partBytes);
  const reports: ScenarioReport[] = [];
  try {
    for (const name of scenarios) {
      if (options.signal?.aborted) break;
      const definition = scenarioDefinitions[name];
      if (options.endpoint && definition.localOnly) {
        reports.push(
          skippedReport(
            definition,
            runs,
            'needs the bench’s own service to read process memory (BENCH_ENDPOINT is set)',
          ),
        );
        continue;
      }
      const outcomes: RunOutcome[] = [];
      for (let run = 1; run <= runs && !options.signal?.aborted; run += 1) {
        progress(`${name}: run ${run}/${runs}: starting`);
        const outcome = await runOnce(definition, { ...options, sizes, dataRoot, layers, progress, run });
        outcomes.push(outcome);
        notice(`${name} run ${run}/${runs}: ${describeOutcome(definition, outcome)}`);
      }
      reports.push(scenarioReport(definition, outcomes, machine, runs));
    }
  } finally {
    // The runs' data directories, kept until now (data-trash.ts).
    progress("removing the runs' data directories");
    await removeDiscarded();
  }
  return {
    quick: options.quick ?? false,
    ...(options.signal?.aborted ? { interrupted: true } : {}),
    runs,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.peerRegistry ? { peerRegistry: options.peerRegistry } : {}),
    storage: options.endpoint ? 'as deployed' : (options.storage ?? 'filesystem'),
    ...(options.endpoint ? {} : { auth: options.auth ?? 'sigv4' }),
    sizes,
    machine,
    scenarios: reports,
  };
}

interface RunSettings extends BenchOptions {
  /** 1, 2, …: which run of the scenario this is. */
  run: number;
  sizes: BenchSizes;
  dataRoot: string;
  layers: LayerFactory;
  progress(text: string): void;
}

/**
 * One run: Longshore first (and, for a scenario that compares authentication, Longshore again
 * with AUTH=off), then (with a peer registry) the peer, so they never share the machine.
 */
async function runOnce(definition: ScenarioDefinition, settings: RunSettings): Promise<RunOutcome> {
  let outcome = await runLongshore(definition, definition.authOff ? { ...settings, auth: 'sigv4' } : settings);
  if (definition.authOff && outcome.ok && !settings.signal?.aborted) {
    const off = await runLongshore(definition, { ...settings, auth: 'off' });
    outcome = off.ok
      ? {
          ...outcome,
          result: definition.authOff.combine(outcome.result, off.result),
          issues: [...outcome.issues, ...off.issues],
        }
      : { ...off, error: `with AUTH=off: ${off.error}`, issues: [...outcome.issues, ...off.issues] };
  }
  if (!settings.peerRegistry || !definition.peer || settings.signal?.aborted) return outcome;
  return { ...outcome, peer: await runPeer(definition, definition.peer, settings.peerRegistry, settings) };
}

async function runPeer(
  definition: ScenarioDefinition,
  workload: PeerWorkload,
  binary: string,
  settings: RunSettings,
): Promise<PeerOutcome> {
  const timeoutMs = Math.ceil(definition.timeoutMs(settings.sizes));
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(settings.signal ? [settings.signal] : [])]);
  setMaxListeners(0, signal);
  let peer: PeerRegistry | undefined;
  let http: HttpTarget | undefined;
  let watch: MemoryWatch | undefined;
  try {
    settings.progress(`${definition.name}: starting the peer registry`);
    peer = await startPeerRegistry(binary, settings.dataRoot);
    const pids = { registry: peer.pid };
    watch = new MemoryWatch(pids);
    watch.start();
    http = new HttpTarget(peer.endpoint, MAX_SOCKETS);
    const oci = new OciClient(http);
    await oci.probe({ signal });
    const result = await workload.run({
      oci,
      repositoryName: `bench-${definition.name}-${randomBytes(4).toString('hex')}`,
      sizes: settings.sizes,
      layers: settings.layers,
      signal,
      progress: (text) => settings.progress(`peer ${text}`),
      cpuWindow: () => openCpuWindow(pids),
    });
    const registryPeakMiB = (await watch.peaks()).registry;
    if (registryPeakMiB !== undefined) {
      result.detail.registryPeakMiB = Math.round(registryPeakMiB * 10) / 10;
      // Its one process against the API's: the process that takes the bytes.
      if (definition.figures.some((f) => f.name === 'apiPeakMiB')) result.figures.apiPeakMiB = registryPeakMiB;
    }
    const exit = peer.unexpectedExit();
    if (exit) throw new Error(`the peer registry died during the run: ${exit}`);
    return { ok: true, result };
  } catch (error) {
    const message =
      signal.aborted && !settings.signal?.aborted
        ? `did not finish within ${Math.round(timeoutMs / 1000)} s`
        : error instanceof Error
          ? error.message
          : String(error);
    return { ok: false, error: `peer registry: ${message}` };
  } finally {
    http?.close();
    await watch?.peaks().catch(() => undefined);
    settings.progress(`${definition.name}: stopping the peer registry`);
    await peer?.stop();
  }
}

async function runLongshore(definition: ScenarioDefinition, settings: RunSettings): Promise<RunOutcome> {
  const timeoutMs = Math.ceil(definition.timeoutMs(settings.sizes));
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(settings.signal ? [settings.signal] : [])]);
  // Every request in flight listens to it: 64 clients at once are expected, not a leak.
  setMaxListeners(0, signal);
  let service: LocalService | undefined;
  let http: HttpTarget | undefined;
  let watch: MemoryWatch | undefined;
  try {
    settings.progress(`${definition.name}: measuring SHA-256 for this run`);
    const sha256MBps = measureSha256(Math.min(RUN_REFERENCE_BYTES, settings.sizes.sha256ReferenceBytes / 4));
    const loadBefore = os.loadavg()[0] ?? Number.NaN;
    if (!settings.endpoint) {
      settings.progress(`${definition.name}: starting the service`);
      service = await startLocalService({
        baseEnv: settings.serviceEnv ?? {},
        env: definition.serviceEnv,
        dataRoot: settings.dataRoot,
        workers: workerProcesses(settings.serviceEnv),
        ...(settings.storage ? { storage: settings.storage } : {}),
        ...(settings.auth ? { auth: settings.auth } : {}),
        ...(settings.cpuProfileDir
          ? { cpuProfileDir: path.join(settings.cpuProfileDir, `${definition.name}-run${settings.run}`) }
          : {}),
      });
      watch = new MemoryWatch(service.pids);
      watch.start();
    }
    http = new HttpTarget(service?.endpoint ?? new URL(settings.endpoint!), MAX_SOCKETS);
    // The clients sign (ECR door) and log in (/v2, /v1) as a CI job would, whether or not the
    // service checks it (AUTH=off), so that on and off differ only in the service's work.
    const accessKey = service?.accessKey ?? accessKeyFromEnv(settings.serviceEnv ?? {});
    const region = service?.region ?? settings.serviceEnv?.AWS_REGION ?? settings.serviceEnv?.REGION ?? 'us-east-1';
    const ecr = new EcrClient(http, accessKey && new EcrSigner(accessKey, region));
    if (accessKey) http.logIn(await ecr.authorizationToken({ signal }));
    const repositoryName = `bench-${definition.name}-${randomBytes(4).toString('hex')}`;
    await ecr.createRepository(repositoryName, { signal });
    const pids = service?.pids ?? {};
    const context: ScenarioContext = {
      ecr,
      v1: new V1Client(http),
      oci: new OciClient(http),
      repositoryName,
      sizes: settings.sizes,
      layers: settings.layers,
      signal,
      progress: settings.progress,
      cpuWindow: () => openCpuWindow(pids),
      http,
      ...(settings.endpoint ? {} : { dataRoot: settings.dataRoot }),
      ...(service ? { redisUrl: service.redisUrl } : {}),
      ...(settings.peerRegistry ? { peerRegistryBinary: settings.peerRegistry } : {}),
    };
    const result = await definition.run(context);
    if (watch) addMemory(definition, result, await watch.peaks());
    const exits = service?.unexpectedExits() ?? [];
    if (exits.length > 0) throw new Error(`a service process died during the run: ${exits.join('; ')}`);
    result.detail.sha256MBps = Math.round(sha256MBps);
    const batches = service ? await finalizeBatches(Object.values(service.workerMetricsPorts)) : undefined;
    if (batches) result.detail.finalizeBatches = batches;
    if (service) result.detail.auth = settings.auth ?? 'sigv4';
    result.detail.loadAverage = [round2(loadBefore), round2(os.loadavg()[0] ?? Number.NaN)];
    return { ok: true, result, sha256MBps, issues: service?.log.issues() ?? [], exits };
  } catch (error) {
    if (error instanceof NoV2ApiError) {
      return { ok: false, unavailable: true, error: error.message, issues: [], exits: [] };
    }
    const interrupted = settings.signal?.aborted === true;
    const timedOut = signal.aborted && !interrupted;
    const message = interrupted
      ? 'interrupted'
      : timedOut
        ? `the run did not finish within its ${Math.round(timeoutMs / 1000)} s limit`
        : error instanceof Error
          ? error.message
          : String(error);
    return { ok: false, error: message, issues: service?.log.issues() ?? [], exits: service?.unexpectedExits() ?? [] };
  } finally {
    http?.close();
    await watch?.peaks().catch(() => undefined);
    settings.progress(`${definition.name}: stopping the service`);
    await service?.stop();
  }
}

/** Peak RSS into the figures a scenario lists, and into every run's detail. */
function addMemory(definition: ScenarioDefinition, result: RunResult, peaks: Record<string, number>): void {
  const workerPeaks = Object.entries(peaks)
    .filter(([name]) => name.startsWith('worker'))
    .map(([, mib]) => mib);
  // The API's figure is per process (the ≤ 150 MiB target is each process's): the largest of the
  // API processes (api-1, api-2, …); the primary, which holds the port and hands out connections, apart.
  const apiPeaks = Object.entries(peaks).filter(([name]) => /^api-\d+$/.test(name));
  if (apiPeaks.length > 0)
    result.detail.apiProcessPeaksMiB = Object.fromEntries(apiPeaks.map(([name, mib]) => [name, Math.round(mib)]));
  if (peaks['api-primary'] !== undefined) result.detail.apiPrimaryPeakMiB = Math.round(peaks['api-primary']);
  const memory: Record<string, number | undefined> = {
    apiPeakMiB: apiPeaks.length ? Math.max(...apiPeaks.map(([, mib]) => mib)) : undefined,
    workerPeakMiB: workerPeaks.length ? Math.max(...workerPeaks) : undefined,
    redisPeakMiB: peaks.redis,
  };
  for (const name of memoryFigureNames) {
    const value = memory[name];
    if (value === undefined) continue;
    result.detail[name] = Math.round(value * 10) / 10;
    if (definition.figures.some((f) => f.name === name)) result.figures[name] = value;
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function workerProcesses(env: BenchOptions['serviceEnv']): number {
  const n = Number(env?.WORKER_PROCESSES ?? 1);
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : 1;
}

function scenarioReport(
  definition: ScenarioDefinition,
  outcomes: RunOutcome[],
  machine: MachineReference,
  runs: number,
): ScenarioReport {
  const finished = outcomes.flatMap((o) => (o.ok ? [o] : []));
  const unavailable = outcomes.flatMap((o) => (!o.ok && o.unavailable ? [o.error] : []));
  const errors = [
    ...outcomes.flatMap((o) => (o.ok || o.unavailable ? [] : [o.error])),
    ...outcomes.flatMap((o) => (o.peer && !o.peer.ok ? [o.peer.error] : [])),
  ];
  const peerResults = outcomes.flatMap((o) => (o.peer?.ok ? [o.peer.result] : []));
  const figures: FigureReport[] = definition.figures.map((spec) => {
    const measured = finished.filter((o) => typeof o.result.figures[spec.name] === 'number');
    const samples = measured.map((o) => o.result.figures[spec.name]!);
    const figure: FigureReport = {
      name: spec.name,
      label: spec.label,
      unit: spec.unit,
      median: median(samples),
      samples,
    };
    if (spec.unit === 'MB/s') {
      figure.timesSha256 = median(measured.map((o) => o.result.figures[spec.name]! / o.sha256MBps));
      figure.timesDisk = figure.median / machine.diskMBps;
    }
    const peerSamples = peerResults.flatMap((r) =>
      typeof r.figures[spec.name] === 'number' ? [r.figures[spec.name]!] : [],
    );
    if (peerSamples.length > 0) {
      figure.peerMedian = median(peerSamples);
      figure.peerSamples = peerSamples;
      // Longshore ÷ distribution of each run that measured both, then the median of those.
      const pairs = outcomes.flatMap((o) => {
        const mine = o.ok ? o.result.figures[spec.name] : undefined;
        const theirs = o.peer?.ok ? o.peer.result.figures[spec.name] : undefined;
        return mine !== undefined && theirs !== undefined && theirs !== 0 ? [mine / theirs] : [];
      });
      if (pairs.length > 0) figure.timesPeer = median(pairs);
    }
    // With a peer, issue 10's ratio targets are the ones in force.
    const target =
      peerResults.length > 0 && spec.peerTargets
        ? resolvePeerTargets(spec.peerTargets)
        : spec.target && resolveTarget(spec.target);
    if (target) {
      figure.target = target;
      figure.met = isMet(figure, target);
    }
    return figure;
  });
  return {
    scenario: definition.name,
    summary: definition.summary,
    runs,
    completedRuns: finished.length,
    figures,
    met: errors.length === 0 && unavailable.length === 0 && figures.every((f) => f.met !== false),
    errors,
    ...(unavailable.length > 0 && finished.length === 0 ? { skipped: `n/a: ${unavailable[0]}` } : {}),
    details: finished.map((o) => o.result.detail),
    ...(peerResults.length > 0 ? { peerDetails: peerResults.map((r) => r.detail) } : {}),
    serviceIssues: [...new Set(outcomes.flatMap((o) => o.issues))],
    unexpectedExits: outcomes.flatMap((o) => o.exits),
  };
}

function skippedReport(definition: ScenarioDefinition, runs: number, reason: string): ScenarioReport {
  return {
    scenario: definition.name,
    summary: definition.summary,
    runs,
    completedRuns: 0,
    figures: [],
    met: false,
    errors: [],
    skipped: reason,
    details: [],
    serviceIssues: [],
    unexpectedExits: [],
  };
}

function describeOutcome(definition: ScenarioDefinition, outcome: RunOutcome): string {
  const describe = (result: RunResult) =>
    definition.figures
      .filter((f) => result.figures[f.name] !== undefined)
      .map((f) => `${f.label} ${format(result.figures[f.name]!, f.unit)} ${f.unit}`)
      .join(', ');
  const peer = outcome.peer
    ? `; distribution: ${outcome.peer.ok ? describe(outcome.peer.result) : `FAILED: ${outcome.peer.error.split('\n')[0]}`}`
    : '';
  if (!outcome.ok) return `${outcome.unavailable ? 'n/a' : 'FAILED'}: ${outcome.error.split('\n')[0]}${peer}`;
  const issues = outcome.issues.length ? ` (service logged ${outcome.issues.length} kinds of warnings/errors)` : '';
  return describe(outcome.result) + issues + peer;
}
