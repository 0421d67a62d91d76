import { GiB, MiB } from './stats.js';

export const scenarioNames = [
  'small-pushes',
  'small-pushes-v2',
  'sequential-pushes',
  'auth-on-vs-off',
  'large-layer',
  'large-layer-raw',
  'large-layer-v2',
  'four-large-layers',
  'full-verify',
  'memory',
  'memory-raw',
  'memory-v2',
  'pull-through',
  'listings',
] as const;

export type ScenarioName = (typeof scenarioNames)[number];

export function isScenarioName(name: string): name is ScenarioName {
  return (scenarioNames as readonly string[]).includes(name);
}

/** How much work each scenario and reference does. */
export interface BenchSizes {
  /** Measured window of the small-push scenario (after a short warm-up). */
  smallPushSeconds: number;
  /**
   * Small pushes before that window opens, not measured: long enough for the API's and the
   * worker's JIT to be done compiling the hot path (a registry runs for days; the figures are
   * its steady state). At 2 s, TurboFan's compiler threads were a quarter of the API processes'
   * CPU in the window's first seconds (issue 17, cpu27).
   */
  smallPushWarmupSeconds: number;
  smallPushClients: number;
  /** Bytes of each small push's only part. */
  smallPushBytes: number;
  /** Part size of the large-layer scenarios (ECR's own part size). */
  partBytes: number;
  largeLayerBytes: number;
  /** Size of each of the four concurrent layers. */
  fourLayersBytes: number;
  fullVerifyBytes: number;
  memoryLayerBytes: number;
  /** The layer pulled through a pull-through cache rule (issue 20: 200 MiB). */
  pullThroughLayerBytes: number;
  /** Images in the listings scenario's one repository (issue 19: 100,000); half tagged. */
  listingImages: number;
  /** Bytes hashed for the node:crypto SHA-256 reference (hash-wasm gets a quarter of it). */
  sha256ReferenceBytes: number;
  /** Bytes written (then fsynced once) for the disk reference. */
  diskReferenceBytes: number;
}

export const fullSizes: BenchSizes = {
  smallPushSeconds: 15,
  smallPushWarmupSeconds: 10,
  smallPushClients: 64,
  smallPushBytes: 64 * 1024,
  partBytes: 10 * MiB,
  largeLayerBytes: GiB,
  fourLayersBytes: GiB,
  fullVerifyBytes: GiB,
  memoryLayerBytes: 4 * GiB,
  pullThroughLayerBytes: 200 * MiB,
  listingImages: 100_000,
  sha256ReferenceBytes: 256 * MiB,
  diskReferenceBytes: 512 * MiB,
};

/** `--quick`: a smoke run that still goes through every code path. */
export const quickSizes: BenchSizes = {
  ...fullSizes,
  smallPushSeconds: 3,
  smallPushWarmupSeconds: 0.6,
  largeLayerBytes: 64 * MiB,
  fourLayersBytes: 32 * MiB,
  fullVerifyBytes: 128 * MiB,
  memoryLayerBytes: 256 * MiB,
  pullThroughLayerBytes: 32 * MiB,
  listingImages: 10_000,
  sha256ReferenceBytes: 128 * MiB,
  diskReferenceBytes: 128 * MiB,
};

export interface BenchOptions {
  /** Default: every scenario, in the order of `scenarioNames`. */
  scenarios?: readonly ScenarioName[];
  /** Smoke sizes (`quickSizes`) instead of the issue's (`fullSizes`). */
  quick?: boolean;
  /** Overrides of single sizes, applied over the quick or full ones. */
  sizes?: Partial<BenchSizes>;
  /** Each scenario is run this many times on a fresh service; the report gives the medians. */
  runs?: number;
  /** An already running deployment (`http://host:port`); unset: the bench starts its own. */
  endpoint?: string;
  /**
   * The environment the service processes start from (e.g. to try HASH_THREADS=1); the bench
   * then sets what it must (REDIS_URL, DATA_DIR, ports, logging, VERIFY_MODE). Default: empty.
   */
  serviceEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * A CNCF distribution `registry` binary (BENCH_PEER_REGISTRY): each scenario run with a peer workload
   * also runs it against that registry, started for the run, and the report shows Longshore ÷ it.
   */
  peerRegistry?: string;
  /**
   * BENCH_CPU_PROF_DIR: the API and worker processes run with `node --cpu-prof`; each run's
   * profiles go to `<dir>/<scenario>-run<n>/<process>/*.cpuprofile` (written when the bench stops them).
   */
  cpuProfileDir?: string;
  /**
   * BENCH_AUTH (`--auth`): AUTH of the bench's own service, `sigv4` (the default, as npm start) or
   * `off`. The clients sign and log in with a key created by `longshore keys create` either way.
   */
  auth?: 'sigv4' | 'off';
  /** BENCH_STORAGE: `s3` runs Longshore with STORAGE=s3 on an embedded Swift; default `filesystem`. */
  storage?: 'filesystem' | 's3';
  /** Where data directories and the disk reference file go; default: the OS temp directory. */
  dataRoot?: string;
  /** Aborts the run; what was started is stopped and cleaned up. */
  signal?: AbortSignal;
  /** A changing status text (e.g. for a terminal status line). */
  onProgress?(text: string): void;
  /** A line worth keeping: a finished run's summary, or something the service logged. */
  onNotice?(text: string): void;
}
