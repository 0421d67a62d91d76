export { createLogger, type Logger, type LoggerOptions } from './create-logger.js';
export { createMetricsRegistry } from './create-metrics-registry.js';
export { runService, type RunningService } from './run-service.js';
