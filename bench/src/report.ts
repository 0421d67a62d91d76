import type { BenchSizes, ScenarioName } from './bench-options.js';
import type { MachineReference } from './machine-reference.js';
import type { FigureSpec, PeerTarget, Target } from './scenario.js';
import { formatIssue17Table } from './issue17-table.js';
import { formatTable } from './text-table.js';

export interface ResolvedTarget {
  op: '>=' | '<=';
  value: number;
  /** Set when the bound applies to the figure's ratio to this reference, not to the figure. */
  of?: 'sha256' | 'peer' | 'disk';
  /** As the issue words it, e.g. `≥ 0.85× sha256`. */
  text: string;
  /** Further bounds that must hold too (issue 10's `≥ 1.2× distribution and ≥ 0.8× disk`). */
  and?: ResolvedTarget[];
}

export interface FigureReport {
  name: string;
  label: string;
  unit: FigureSpec['unit'];
  /** Median over the runs that finished; NaN if none did. */
  median: number;
  samples: number[];
  target?: ResolvedTarget;
  met?: boolean;
  /**
   * Rates only: the median over runs of the figure divided by the node:crypto SHA-256 rate
   * measured just before that run, and the median figure divided by the disk-write rate.
   */
  timesSha256?: number;
  timesDisk?: number;
  /** With a peer registry: its median, its samples, and the median over runs of Longshore ÷ it. */
  peerMedian?: number;
  peerSamples?: number[];
  timesPeer?: number;
}

export interface ScenarioReport {
  scenario: ScenarioName;
  summary: string;
  runs: number;
  completedRuns: number;
  figures: FigureReport[];
  /** Every targeted figure within its target, every run finished, nothing skipped. */
  met: boolean;
  /** Why runs failed, one entry per failed run. */
  errors: string[];
  skipped?: string;
  /** Each finished run's extra data (counts, CPU shares, retries, peak memory). */
  details: Record<string, unknown>[];
  /** Each run's extra data of the peer registry's workload. */
  peerDetails?: Record<string, unknown>[];
  /** Warnings and errors the service logged, by kind with counts, over all runs. */
  serviceIssues: string[];
  /** Service processes that died during a run. */
  unexpectedExits: string[];
}

export interface BenchReport {
  quick: boolean;
  /** The run was aborted: scenarios after the one under way are missing. */
  interrupted?: boolean;
  runs: number;
  endpoint?: string;
  /** The reference registry binary each scenario also ran against (BENCH_PEER_REGISTRY). */
  peerRegistry?: string;
  /** AUTH of the bench's own service (`sigv4` unless `--auth off`); absent with an endpoint. */
  auth?: 'sigv4' | 'off';
  /** The storage Longshore ran on: `filesystem`, `s3` (embedded Swift), or `as deployed` (an endpoint). */
  storage?: string;
  sizes: BenchSizes;
  machine: MachineReference;
  scenarios: ScenarioReport[];
}

export function resolveTarget(target: Target): ResolvedTarget {
  if ('min' in target) return { op: '>=', value: target.min, text: `≥ ${target.min}` };
  if ('max' in target) return { op: '<=', value: target.max, text: `≤ ${target.max}` };
  return { op: '>=', value: target.minTimesSha256, of: 'sha256', text: `≥ ${target.minTimesSha256}× sha256` };
}

/** Issue 10's ratio targets as one target (all parts must hold). */
export function resolvePeerTargets(targets: readonly PeerTarget[]): ResolvedTarget | undefined {
  const parts = targets.map((t): ResolvedTarget => {
    if ('minTimesPeer' in t)
      return { op: '>=', value: t.minTimesPeer, of: 'peer', text: `≥ ${t.minTimesPeer}× distribution` };
    if ('maxTimesPeer' in t)
      return { op: '<=', value: t.maxTimesPeer, of: 'peer', text: `≤ ${t.maxTimesPeer}× distribution` };
    return { op: '>=', value: t.minTimesDisk, of: 'disk', text: `≥ ${t.minTimesDisk}× disk` };
  });
  const [first, ...rest] = parts;
  if (!first) return undefined;
  return { ...first, text: parts.map((p) => p.text).join(' and '), ...(rest.length ? { and: rest } : {}) };
}

/** Whether the figure (or its ratio, for a relative target) is within the target. */
export function isMet(
  figure: Pick<FigureReport, 'median' | 'timesSha256' | 'timesDisk' | 'timesPeer'>,
  target: ResolvedTarget,
): boolean {
  const value = {
    sha256: figure.timesSha256,
    peer: figure.timesPeer,
    disk: figure.timesDisk,
    none: figure.median,
  }[target.of ?? 'none'];
  if (value === undefined || !Number.isFinite(value)) return false;
  const met = target.op === '>=' ? value >= target.value : value <= target.value;
  return met && (target.and ?? []).every((part) => isMet(figure, part));
}

/** The human table: one row per figure. */
export function formatReportTable(report: BenchReport): string {
  const { machine } = report;
  const header = [
    `machine: ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}`,
    `references: node:crypto SHA-256 ${format(machine.sha256MBps, 'MB/s')} MB/s (one core; re-measured before each run for the × sha256 column), ` +
      `resumable layer SHA-256: ${machine.nativeSha256MBps !== undefined ? `native (OpenSSL addon) ${format(machine.nativeSha256MBps, 'MB/s')} MB/s, ` : 'native addon NOT built, '}` +
      `hash-wasm ${format(machine.hashWasmMBps, 'MB/s')} MB/s, ` +
      `disk write ${format(machine.diskMBps, 'MB/s')} MB/s (${machine.diskPath}); ` +
      `load average ${machine.loadAverage.toFixed(1)} at the start`,
    `${report.interrupted ? 'INTERRUPTED; ' : ''}${report.quick ? 'quick (smoke) sizes' : 'full sizes'}; ${report.runs === 1 ? 'one run per scenario' : `median of ${report.runs} runs per scenario`}` +
      `; target: ${report.endpoint ?? 'a service started by the bench'}` +
      `${report.auth ? `; authentication: ${report.auth === 'off' ? 'off (AUTH=off; the clients still sign)' : 'on (AUTH=sigv4; SigV4-signed ECR calls, /v2 Basic and /v1 Bearer login tokens)'}` : ''}` +
      `; storage: ${report.storage === 's3' ? 's3 (STORAGE=s3 on an embedded OpenStack Swift, s3api)' : (report.storage ?? 'filesystem')}; MB = 10^6 bytes`,
    ...(report.peerRegistry
      ? [
          `peer: ${report.peerRegistry} (started for each run after Longshore's part, filesystem storage in a temp dir); ` +
            'Longshore ÷ distribution is the median over runs of the two figures of one run (for ms and MiB, lower is better)',
        ]
      : []),
  ];
  const peer = report.peerRegistry !== undefined;
  const rows: string[][] = [];
  for (const scenario of report.scenarios) {
    const first = rows.length;
    const withPeer = scenario.figures.some((f) => f.peerMedian !== undefined);
    if (scenario.skipped && !withPeer)
      rows.push(['', 'skipped', '', '', '', '', ...(peer ? ['', ''] : []), scenario.skipped]);
    else {
      for (const figure of scenario.figures) {
        const result = scenario.skipped
          ? rows.length === first
            ? scenario.skipped.slice(0, 120)
            : ''
          : figure.met === undefined
            ? 'info'
            : figure.met
              ? 'pass'
              : 'FAIL';
        rows.push([
          '',
          figure.label,
          Number.isFinite(figure.median) ? `${format(figure.median, figure.unit)} ${figure.unit}` : 'n/a',
          figure.target?.text ?? '',
          ratio(figure.timesSha256),
          ratio(figure.timesDisk),
          ...(peer
            ? [
                figure.peerMedian !== undefined ? `${format(figure.peerMedian, figure.unit)} ${figure.unit}` : '',
                ratio(figure.timesPeer),
              ]
            : []),
          result,
        ]);
      }
      for (const error of scenario.errors)
        rows.push(['', 'run failed', '', '', '', '', ...(peer ? ['', ''] : []), error.split('\n')[0]!.slice(0, 120)]);
    }
    rows[first]![0] = scenario.scenario;
  }
  const table = formatTable(
    [
      'scenario',
      'figure',
      'value',
      'target',
      '× sha256',
      '× disk',
      ...(peer ? ['distribution', 'Longshore ÷ distribution'] : []),
      'result',
    ],
    rows,
    ['left', 'left', 'right', 'left', 'right', 'right', ...(peer ? (['right', 'right'] as const) : []), 'left'],
  );
  return [...header, '', table, '', ...notes(report), '', formatIssue17Table(report)].join('\n').trimEnd();
}

/**
 * Per scenario: the SHA-256 reference and load of its (first) run, peak memory, where the CPU
 * went; then what the service logged and processes that died.
 */
function notes(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const s of report.scenarios) {
    const d = s.details[0];
    if (d) {
      const parts: string[] = [];
      if (typeof d.sha256MBps === 'number') parts.push(`SHA-256 ${d.sha256MBps} MB/s just before`);
      if (Array.isArray(d.loadAverage)) parts.push(`load ${d.loadAverage.join(' → ')}`);
      const rss = (['api', 'worker', 'redis'] as const)
        .filter((p) => typeof d[`${p}PeakMiB`] === 'number')
        .map((p) => `${p} ${Math.round(d[`${p}PeakMiB`] as number)}`);
      if (rss.length) parts.push(`peak RSS MiB: ${rss.join(', ')}`);
      if (d.apiProcessPeaksMiB && typeof d.apiProcessPeaksMiB === 'object')
        parts.push(
          `per API process: ${Object.entries(d.apiProcessPeaksMiB as Record<string, number>)
            .map(([name, mib]) => `${name} ${mib}`)
            .join(', ')}${typeof d.apiPrimaryPeakMiB === 'number' ? ` (primary ${d.apiPrimaryPeakMiB})` : ''}`,
        );
      if (d.cpuPercent) parts.push(`CPU % of one core: ${describeCpu(d.cpuPercent)}`);
      if (d.cpuSystemPercent) parts.push(`of which system (kernel): ${describeCpu(d.cpuSystemPercent)}`);
      const perPush = cpuMsPerPush(d);
      if (perPush) parts.push(`CPU ms per push: ${perPush}`);
      const batches = d.finalizeBatches as { jobs: number; uploads: number; uploadsPerJob: number } | undefined;
      if (batches)
        parts.push(`finalize jobs ${batches.jobs} for ${batches.uploads} uploads (${batches.uploadsPerJob} per job)`);
      const which = s.details.length > 1 ? ' (run 1)' : '';
      lines.push(`${s.scenario}${which}: ${parts.join('; ')}`);
    }
    const p = s.peerDetails?.[0];
    if (p) {
      const parts: string[] = [];
      if (typeof p.registryPeakMiB === 'number') parts.push(`peak RSS ${Math.round(p.registryPeakMiB)} MiB`);
      if (p.cpuPercent) parts.push(`CPU % of one core: ${describeCpu(p.cpuPercent)}`);
      if (parts.length)
        lines.push(`${s.scenario} distribution${s.peerDetails!.length > 1 ? ' (run 1)' : ''}: ${parts.join('; ')}`);
    }
    for (const exit of s.unexpectedExits) lines.push(`${s.scenario}: PROCESS DIED: ${exit}`);
    for (const issue of s.serviceIssues.slice(0, 8)) lines.push(`${s.scenario}: service logged: ${issue}`);
    if (s.serviceIssues.length > 8)
      lines.push(`${s.scenario}: … ${s.serviceIssues.length - 8} more kinds (see the JSON line)`);
  }
  return lines;
}

function describeCpu(cpu: unknown): string {
  const flat = (shares: Record<string, number>) =>
    Object.entries(shares)
      .map(([name, pct]) => `${name} ${pct}`)
      .join(', ');
  const c = cpu as Record<string, unknown>;
  if (typeof c.upload === 'object' && typeof c.complete === 'object') {
    return `upload: ${flat(c.upload as Record<string, number>)}; completion: ${flat(c.complete as Record<string, number>)}`;
  }
  return flat(c as Record<string, number>);
}

/** One JSON line per scenario, for machines. */
export function reportJsonLines(report: BenchReport): string[] {
  const { machine } = report;
  return report.scenarios.map((s) => {
    const pick = <T>(f: (figure: FigureReport) => T | undefined) =>
      Object.fromEntries(
        s.figures.flatMap((figure) => {
          const value = f(figure);
          return value === undefined ? [] : [[figure.name, value]];
        }),
      );
    return JSON.stringify({
      scenario: s.scenario,
      runs: s.runs,
      completedRuns: s.completedRuns,
      ...(report.storage ? { storage: report.storage } : {}),
      ...(report.auth ? { auth: report.auth } : {}),
      ...(report.peerRegistry ? { peerRegistry: report.peerRegistry } : {}),
      median: pick((f) => jsonNumber(f.median, f.unit === 'ratio' ? 3 : 1)),
      target: pick((f) =>
        f.target
          ? {
              op: f.target.op,
              value: jsonNumber(f.target.value, 2),
              ...(f.target.of ? { of: f.target.of } : {}),
              ...(f.target.and
                ? { and: f.target.and.map((t) => ({ op: t.op, value: jsonNumber(t.value, 2), of: t.of })) }
                : {}),
            }
          : undefined,
      ),
      met: s.met,
      ratios: pick((f) =>
        f.timesSha256 === undefined && f.timesPeer === undefined
          ? undefined
          : {
              ...(f.timesSha256 !== undefined
                ? { sha256: jsonNumber(f.timesSha256, 3), disk: jsonNumber(f.timesDisk ?? NaN, 3) }
                : {}),
              ...(f.timesPeer !== undefined ? { peer: jsonNumber(f.timesPeer, 3) } : {}),
            },
      ),
      ...(s.figures.some((f) => f.peerMedian !== undefined)
        ? {
            peer: pick((f) => (f.peerMedian === undefined ? undefined : jsonNumber(f.peerMedian))),
            // Each run's, beside `samples`: a target met "in every run" is read from the pairs.
            peerSamples: pick((f) => f.peerSamples?.map((v) => jsonNumber(v, 1))),
          }
        : {}),
      samples: pick((f) => f.samples.map((v) => jsonNumber(v, f.unit === 'ratio' ? 3 : 1))),
      units: pick((f) => f.unit),
      machine: {
        cpus: machine.cpus,
        sha256MBps: jsonNumber(machine.sha256MBps),
        hashWasmMBps: jsonNumber(machine.hashWasmMBps),
        ...(machine.nativeSha256MBps !== undefined ? { nativeSha256MBps: jsonNumber(machine.nativeSha256MBps) } : {}),
        diskMBps: jsonNumber(machine.diskMBps),
        loadAverage: jsonNumber(machine.loadAverage, 2),
      },
      quick: report.quick,
      ...(report.interrupted ? { interrupted: true } : {}),
      ...(report.endpoint ? { endpoint: report.endpoint } : {}),
      ...(s.skipped ? { skipped: s.skipped } : {}),
      ...(s.errors.length ? { errors: s.errors } : {}),
      ...(s.unexpectedExits.length ? { unexpectedExits: s.unexpectedExits } : {}),
      ...(s.serviceIssues.length ? { serviceIssues: s.serviceIssues } : {}),
      detail: s.details,
      ...(s.peerDetails ? { peerDetail: s.peerDetails } : {}),
    });
  });
}

function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '' : `${value.toFixed(2)}×`;
}

function jsonNumber(value: number, digits = 1): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function format(value: number, unit: FigureSpec['unit']): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'count':
      return String(Math.round(value));
    case 'MiB':
      return value.toFixed(1);
    case 'ratio':
      return value.toFixed(2);
    default:
      return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1);
  }
}

/** Each process's CPU per push over a small-push window (its share of a core ÷ pushes per second). */
function cpuMsPerPush(d: Record<string, unknown>): string | undefined {
  const percent = d.cpuPercent as Record<string, number> | undefined;
  const pushes = d.pushesInWindow;
  const seconds = d.windowSeconds;
  if (!percent || typeof pushes !== 'number' || typeof seconds !== 'number' || pushes === 0) return undefined;
  return Object.entries(percent)
    .filter(([name]) => name !== 'bench')
    .map(([name, pct]) => `${name} ${((pct * 10 * seconds) / pushes).toFixed(2)}`)
    .join(', ');
}
