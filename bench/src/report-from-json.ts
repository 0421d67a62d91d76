import { readFile } from 'node:fs/promises';
import { isScenarioName, type BenchSizes } from './bench-options.js';
import type { MachineReference } from './machine-reference.js';
import {
  isMet,
  resolvePeerTargets,
  resolveTarget,
  type BenchReport,
  type FigureReport,
  type ScenarioReport,
} from './report.js';
import { scenarioDefinitions } from './scenarios/index.js';

/** One scenario's JSON line as `reportJsonLines` prints it (the fields read back). */
interface ScenarioLine {
  scenario: string;
  runs: number;
  completedRuns: number;
  storage?: string;
  auth?: 'sigv4' | 'off';
  median: Record<string, number | null>;
  ratios?: Record<string, { sha256?: number | null; disk?: number | null; peer?: number | null }>;
  peer?: Record<string, number | null>;
  samples: Record<string, number[]>;
  machine: Partial<MachineReference> & { diskMBps: number };
  quick: boolean;
  skipped?: string;
  errors?: string[];
  unexpectedExits?: string[];
  serviceIssues?: string[];
  detail: Record<string, unknown>[];
  peerDetail?: Record<string, unknown>[];
  peerRegistry?: string;
}

const number = (v: number | null | undefined) => (v === null || v === undefined ? undefined : v);

/**
 * A report rebuilt from the JSON lines of earlier runs (`--from`): a long measurement can be run
 * in groups of scenarios (each under the machine's bench lock) and printed as one table. A
 * scenario that appears in several files counts from the last one.
 */
export async function reportFromJsonFiles(files: readonly string[]): Promise<BenchReport> {
  const lines = new Map<string, ScenarioLine>();
  for (const file of files) {
    for (const text of (await readFile(file, 'utf8')).split('\n')) {
      if (!text.startsWith('{"scenario":')) continue;
      const line = JSON.parse(text) as ScenarioLine;
      if (isScenarioName(line.scenario)) lines.set(line.scenario, line);
    }
  }
  if (lines.size === 0) throw new Error(`no scenario JSON lines in ${files.join(', ')}`);
  const all = [...lines.values()];
  const first = all[0]!;
  const machine: MachineReference = {
    cpus: first.machine.cpus ?? 0,
    cpuModel: first.machine.cpuModel ?? 'see the runs',
    node: first.machine.node ?? process.version,
    sha256MBps: first.machine.sha256MBps ?? Number.NaN,
    hashWasmMBps: first.machine.hashWasmMBps ?? Number.NaN,
    ...(first.machine.nativeSha256MBps !== undefined ? { nativeSha256MBps: first.machine.nativeSha256MBps } : {}),
    // Each group measured its own disk; the table's disk ratios use each scenario's own (below).
    diskMBps: first.machine.diskMBps,
    diskPath: 'the data root',
    loadAverage: Math.max(...all.map((l) => l.machine.loadAverage ?? 0)),
  };
  const scenarios = all.map((line) => scenarioFromLine(line));
  const peer = all.find((l) => l.peerDetail)?.peerDetail ? (first.peerRegistry ?? 'distribution') : undefined;
  return {
    quick: all.some((l) => l.quick),
    runs: Math.max(...all.map((l) => l.runs)),
    ...(peer ? { peerRegistry: peer } : {}),
    ...(first.storage ? { storage: first.storage } : {}),
    ...(first.auth ? { auth: first.auth } : {}),
    sizes: {} as BenchSizes,
    machine,
    scenarios,
  };
}

function scenarioFromLine(line: ScenarioLine): ScenarioReport {
  const definition = scenarioDefinitions[line.scenario as keyof typeof scenarioDefinitions];
  const withPeer = line.peer !== undefined;
  const figures: FigureReport[] = definition.figures.flatMap((spec) => {
    const median = number(line.median[spec.name]);
    if (median === undefined && !line.samples[spec.name]) return [];
    const ratios = line.ratios?.[spec.name];
    const figure: FigureReport = {
      name: spec.name,
      label: spec.label,
      unit: spec.unit,
      median: median ?? Number.NaN,
      samples: line.samples[spec.name] ?? [],
    };
    const timesSha256 = number(ratios?.sha256);
    if (timesSha256 !== undefined) figure.timesSha256 = timesSha256;
    const timesDisk = number(ratios?.disk);
    if (timesDisk !== undefined) figure.timesDisk = timesDisk;
    const peerMedian = number(line.peer?.[spec.name]);
    if (peerMedian !== undefined) figure.peerMedian = peerMedian;
    const timesPeer = number(ratios?.peer);
    if (timesPeer !== undefined) figure.timesPeer = timesPeer;
    const target =
      withPeer && spec.peerTargets ? resolvePeerTargets(spec.peerTargets) : spec.target && resolveTarget(spec.target);
    if (target) {
      figure.target = target;
      figure.met = isMet(figure, target);
    }
    return [figure];
  });
  return {
    scenario: definition.name,
    summary: definition.summary,
    runs: line.runs,
    completedRuns: line.completedRuns,
    figures,
    met: (line.errors ?? []).length === 0 && !line.skipped && figures.every((f) => f.met !== false),
    errors: line.errors ?? [],
    ...(line.skipped ? { skipped: line.skipped } : {}),
    details: line.detail,
    ...(line.peerDetail ? { peerDetails: line.peerDetail } : {}),
    serviceIssues: line.serviceIssues ?? [],
    unexpectedExits: line.unexpectedExits ?? [],
  };
}
