import type { ScenarioName } from './bench-options.js';
import { format, type BenchReport, type FigureReport } from './report.js';
import { median } from './stats.js';
import { formatTable } from './text-table.js';

/**
 * Issue 17's targets (all ratios in one run, authentication on), read from the scenarios of a
 * report: one row per target, with Longshore's median, the reference it is divided by
 * (distribution's median, the disk, or Longshore itself), the ratio and whether it is met.
 */
export interface Issue17Row {
  figure: string;
  longshore: string;
  reference: string;
  ratio: string;
  target: string;
  /** undefined: not measured in this report (the scenario did not run, or no peer). */
  met: boolean | undefined;
}

type Find = (scenario: ScenarioName, figure: string) => FigureReport | undefined;

const value = (f: FigureReport | undefined) =>
  f && Number.isFinite(f.median) ? `${format(f.median, f.unit)} ${f.unit}` : 'not run';
const times = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 'n/a' : `${n.toFixed(2)}×`);

/** A figure against distribution's same figure (Longshore ÷ distribution, median over runs). */
function versusPeer(find: Find, label: string, scenario: ScenarioName, name: string, op: '≥' | '≤', bound: number) {
  const f = find(scenario, name);
  const ratio = f?.timesPeer;
  return {
    figure: label,
    longshore: value(f),
    reference: f?.peerMedian !== undefined ? `distribution ${format(f.peerMedian, f.unit)} ${f.unit}` : 'no peer run',
    ratio: times(ratio),
    target: `${op} ${bound}× distribution`,
    met: ratio === undefined ? undefined : op === '≥' ? ratio >= bound : ratio <= bound,
  };
}

function versusDisk(find: Find, label: string, scenario: ScenarioName, bound: number) {
  const f = find(scenario, 'uploadMBps');
  const ratio = f?.timesDisk;
  const disk = f && ratio ? f.median / ratio : undefined;
  return {
    figure: label,
    longshore: value(f),
    reference: disk === undefined ? 'not run' : `disk, fsynced: ${format(disk, 'MB/s')} MB/s`,
    ratio: times(ratio),
    target: `≥ ${bound}× disk`,
    met: ratio === undefined || !Number.isFinite(ratio) ? undefined : ratio >= bound,
  };
}

function absolute(label: string, figures: (FigureReport | undefined)[], bound: number): Issue17Row {
  const measured = figures.filter((f): f is FigureReport => f !== undefined && Number.isFinite(f.median));
  const worst = measured.length ? Math.max(...measured.map((f) => f.median)) : undefined;
  return {
    figure: label,
    longshore: worst === undefined ? 'not run' : `${format(worst, 'MiB')} MiB`,
    reference: '',
    ratio: '',
    target: `≤ ${bound} MiB`,
    met: worst === undefined ? undefined : worst <= bound,
  };
}

export function issue17Rows(report: BenchReport): Issue17Row[] {
  const find: Find = (scenario, name) =>
    report.scenarios.find((s) => s.scenario === scenario)?.figures.find((f) => f.name === name);
  const ecrRate = find('large-layer', 'uploadMBps');
  const v2Rate = find('large-layer-v2', 'uploadMBps');
  const ownRatio =
    ecrRate && v2Rate && Number.isFinite(ecrRate.median) && v2Rate.median > 0
      ? ecrRate.median / v2Rate.median
      : undefined;
  const authRow = (door: 'v2' | 'ecr', label: string): Issue17Row => {
    const ratio = find('auth-on-vs-off', `${door}OnOffRatio`);
    const on = find('auth-on-vs-off', `${door}PushesPerSecond`);
    const off = find('auth-on-vs-off', `${door}OffPushesPerSecond`);
    return {
      figure: label,
      longshore: value(on),
      reference: off ? `AUTH=off ${value(off)}` : 'not run',
      ratio: times(ratio?.median),
      target: '≥ 0.9× (≤ 10 % fewer)',
      met: ratio && Number.isFinite(ratio.median) ? ratio.median >= 0.9 : undefined,
    };
  };
  const memory = ['memory', 'memory-raw', 'memory-v2'] as const;
  return [
    versusPeer(find, 'server CPU per small push, /v2 (all processes)', 'small-pushes-v2', 'cpuMsPerPush', '≤', 0.8),
    versusPeer(find, 'small pushes over /v2, pushes/s', 'small-pushes-v2', 'pushesPerSecond', '≥', 1.3),
    versusPeer(find, 'small pushes over /v2, p99', 'small-pushes-v2', 'p99Ms', '≤', 1),
    versusPeer(find, 'one client’s sequential pushes, /v2 p50', 'sequential-pushes', 'v2P50Ms', '≤', 2),
    versusPeer(find, 'one client’s sequential pushes, ECR door p50 (vs /v2)', 'sequential-pushes', 'ecrP50Ms', '≤', 2),
    versusPeer(find, 'small pushes over the ECR door, pushes/s (vs /v2)', 'small-pushes', 'pushesPerSecond', '≥', 1),
    versusPeer(find, '1 GiB over /v2 PATCH', 'large-layer-v2', 'uploadMBps', '≥', 1.1),
    versusDisk(find, '1 GiB over /v2 PATCH', 'large-layer-v2', 0.9),
    versusPeer(find, '1 GiB over raw /v1', 'large-layer-raw', 'uploadMBps', '≥', 1.1),
    versusDisk(find, '1 GiB over raw /v1', 'large-layer-raw', 0.9),
    {
      figure: '1 GiB over the ECR door (vs Longshore’s /v2 rate)',
      longshore: value(ecrRate),
      reference: v2Rate ? `Longshore /v2 ${value(v2Rate)}` : 'not run',
      ratio: times(ownRatio),
      target: '≥ 0.7× own /v2',
      met: ownRatio === undefined ? undefined : ownRatio >= 0.7,
    },
    versusPeer(find, 'four 1 GiB layers at once over /v2, aggregate', 'four-large-layers', 'aggregateMBps', '≥', 1.1),
    versusPeer(find, 'completion of a 1 GiB layer, /v2 final PUT', 'large-layer-v2', 'completeMs', '≤', 1.3),
    versusPeer(find, 'completion of a 1 GiB layer, CompleteLayerUpload', 'large-layer', 'completeMs', '≤', 1.3),
    authRow('v2', 'auth on vs AUTH=off, /v2 small pushes/s'),
    authRow('ecr', 'auth on vs AUTH=off, ECR door small pushes/s'),
    absolute(
      'API peak RSS, 4 GiB pushed (worst door)',
      memory.map((s) => find(s, 'apiPeakMiB')),
      150,
    ),
    absolute(
      'worker peak RSS, 4 GiB pushed (worst door)',
      memory.map((s) => find(s, 'workerPeakMiB')),
      150,
    ),
    absolute('API peak RSS, listings', [find('listings', 'apiPeakMiB')], 150),
    absolute('worker peak RSS, listings', [find('listings', 'workerPeakMiB')], 150),
  ];
}

/** The table for the issue and docs/performance.md (a Markdown pipe table). */
export function formatIssue17Table(report: BenchReport): string {
  const rows = issue17Rows(report);
  const runs = median(report.scenarios.map((s) => s.runs));
  return [
    `issue 17 targets (${report.runs > 1 || runs > 1 ? `medians of ${runs} runs` : 'one run'}; ratios of figures from the same run; authentication ${report.auth === 'off' ? 'OFF' : 'on'}):`,
    '',
    formatTable(
      ['figure', 'Longshore', 'distribution (or reference)', 'ratio', 'target', 'met'],
      rows.map((r) => [
        r.figure,
        r.longshore,
        r.reference,
        r.ratio,
        r.target,
        r.met === undefined ? 'n/a' : r.met ? 'yes' : 'NO',
      ]),
      ['left', 'right', 'right', 'right', 'left', 'left'],
    ),
  ].join('\n');
}
