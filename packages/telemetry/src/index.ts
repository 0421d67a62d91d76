export { createLogger, type Logger, type LoggerOptions } from './create-logger.js';
export { createMetricsRegistry } from './create-metrics-registry.js';
export { createAuditLog, type AuditEvent, type AuditLog } from './audit-log.js';
export { answerMetricRequests, requestMetrics } from './metrics-ipc.js';
export { ConnectionBalancer, type ConnectionBalancerOptions } from './connection-balancer.js';
export {
  CONNECTIONS_FROM_LAUNCHER,
  serveHandedConnections,
  takesConnectionsFromLauncher,
  type HandedConnections,
} from './connection-handoff.js';
export {
  ListenError,
  checkReadiness,
  listenOn,
  startOpsServer,
  type OpsServerOptions,
  type ReadinessCheck,
} from './ops-server.js';
export { runService, type RunningService, type StartFailedMessage } from './run-service.js';
