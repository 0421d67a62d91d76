export { runBench } from './run-bench.js';
export {
  fullSizes,
  quickSizes,
  scenarioNames,
  type BenchOptions,
  type BenchSizes,
  type ScenarioName,
} from './bench-options.js';
export {
  formatReportTable,
  reportJsonLines,
  type BenchReport,
  type FigureReport,
  type ResolvedTarget,
  type ScenarioReport,
} from './report.js';
export type { MachineReference } from './machine-reference.js';
export { startLocalService, type ApiProcess, type LocalService } from './local-service.js';
export { discardAtEnd, removeDiscarded } from './data-trash.js';
export { spreadDataRoot } from './spread-data-root.js';
export { parseCliOptions, UsageError } from './cli-options.js';
