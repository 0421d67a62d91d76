import type { BenchSizes, ScenarioName } from './bench-options.js';
import type { EcrClient } from './ecr-client.js';
import type { HttpTarget } from './http-target.js';
import type { OciClient } from './oci-client.js';
import type { CpuWindow } from './process-stats.js';
import type { LayerFactory } from './synthetic-layers.js';
import type { V1Client } from './v1-client.js';

/**
 * A target from the issue: an absolute bound, or a multiple of the node:crypto SHA-256 rate
 * measured in the same run (checked on the figure's ratio to it).
 */
export type Target = { min: number } | { max: number } | { minTimesSha256: number };

/**
 * Issue 10's targets: ratios to the reference registry (and to the disk) measured in the same
 * run. They replace `target` whenever a peer registry ran.
 */
export type PeerTarget = { minTimesPeer: number } | { maxTimesPeer: number } | { minTimesDisk: number };

export interface FigureSpec {
  name: string;
  label: string;
  unit: 'pushes/s' | 'ms' | 'MB/s' | 'MiB' | 'count' | 'ratio';
  target?: Target;
  /** All must hold (with BENCH_PEER_REGISTRY). */
  peerTargets?: PeerTarget[];
}

export interface RunResult {
  /** By FigureSpec name. Figures the runner measures itself (peak memory) need not be here. */
  figures: Record<string, number>;
  /** Anything else worth keeping in the JSON line (counts, CPU shares, retries). */
  detail: Record<string, unknown>;
}

export interface ScenarioContext {
  ecr: EcrClient;
  v1: V1Client;
  /** The OCI distribution API (`/v2`) of the same target. */
  oci: OciClient;
  /** A repository created for this run. */
  repositoryName: string;
  sizes: BenchSizes;
  layers: LayerFactory;
  /** Aborts when the bench is interrupted or the run exceeds its time limit. */
  signal: AbortSignal;
  progress(text: string): void;
  /** Starts measuring CPU use of the service's processes and of the bench itself. */
  cpuWindow(): Promise<CpuWindow>;
  /** Raw HTTP to the same target (the bench's own service, or BENCH_ENDPOINT). */
  http?: HttpTarget;
  /** Where the run may keep files (the bench's own service only). */
  dataRoot?: string;
  /** The service's Redis (the bench's own service only), for scenarios that seed metadata directly. */
  redisUrl?: string;
  /** BENCH_PEER_REGISTRY, for scenarios that need a registry of their own (pull-through's upstream). */
  peerRegistryBinary?: string;
}

export interface ScenarioDefinition {
  name: ScenarioName;
  summary: string;
  /** Settings for the bench's own service in this scenario. */
  serviceEnv: Record<string, string>;
  figures: FigureSpec[];
  /** Figures only the bench's own service can give (process memory): skipped with BENCH_ENDPOINT. */
  localOnly?: boolean;
  /** An upper bound on one run, after which it is aborted. */
  timeoutMs(sizes: BenchSizes): number;
  run(ctx: ScenarioContext): Promise<RunResult>;
  /**
   * Runs the scenario twice per run, on a service with authentication on (whatever `--auth`
   * says) and then on one with AUTH=off; `combine` makes the run's figures from the two.
   */
  authOff?: { combine(on: RunResult, off: RunResult): RunResult };
  /**
   * The same workload against the reference registry (BENCH_PEER_REGISTRY), over the OCI API:
   * its figures, by the names of this scenario's figures, are shown next to Longshore's.
   */
  peer?: PeerWorkload;
}

/** What a workload against the reference registry gets: its OCI API and the run's settings. */
export type PeerContext = Omit<ScenarioContext, 'ecr' | 'v1'>;

export interface PeerWorkload {
  /** What the peer is asked to do, for the README and the JSON line. */
  summary: string;
  run(ctx: PeerContext): Promise<RunResult>;
}

/**
 * CPU milliseconds per push: user + system time of every server process (Longshore's API,
 * workers with their threads, redis-server; or the peer registry's one process) over the
 * measured window, divided by the pushes in it.
 */
export const cpuPerPushFigure: FigureSpec = { name: 'cpuMsPerPush', label: 'server CPU per push', unit: 'ms' };

/** Figures the runner fills in from its memory watch when a scenario lists them. */
export const memoryFigureNames = ['apiPeakMiB', 'workerPeakMiB', 'redisPeakMiB'] as const;

/** Time bound for pushing `bytes`: generous (5 MB/s) plus two minutes of start-up and completion. */
export function boundForBytes(bytes: number): number {
  return 120_000 + (bytes / 5e6) * 1000;
}
