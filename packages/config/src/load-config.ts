import path from 'node:path';
import { configSpec, type Config, type Settings, type Setting } from './config-spec.js';
import { isRedisClusterUrl } from './redis-cluster-url.js';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads the whole configuration once: defaults, then `overrides` (tests, embedding), then the
 * environment. Every problem is reported at once, naming the variable.
 */
export function loadConfig(env: Env, overrides: Partial<Settings> = {}): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(configSpec) as [keyof Settings, Setting<unknown>][]) {
    const raw = env[spec.env];
    if (raw !== undefined && raw !== '') {
      try {
        config[key] = spec.parse(raw);
      } catch (err) {
        problems.push(`${spec.env} ${(err as Error).message}`);
      }
    } else if (key in overrides) {
      config[key] = overrides[key];
    } else {
      config[key] = typeof spec.default === 'function' ? (spec.default as () => unknown)() : spec.default;
    }
  }
  const result = config as unknown as Config;
  if (problems.length === 0 && result.minPartSize > result.maxPartSize) {
    problems.push(`MIN_PART_SIZE (${result.minPartSize}) must not exceed MAX_PART_SIZE (${result.maxPartSize})`);
  }
  if (problems.length === 0 && result.callbackAllowlist.length > 0 && !result.callbackSecret) {
    problems.push('CALLBACK_SECRET must be set when CALLBACK_ALLOWLIST enables callbacks (bodies are signed with it)');
  }
  if (problems.length === 0 && result.storage === 's3' && result.s3Bucket === undefined) {
    problems.push('S3_BUCKET must be set when STORAGE=s3');
  }
  if (problems.length === 0 && result.redisClusterNodes.length > 0 && result.redisUrl !== undefined) {
    problems.push('set REDIS_URL or REDIS_CLUSTER_NODES, not both');
  }
  if (problems.length === 0 && (result.tlsCertFile === undefined) !== (result.tlsKeyFile === undefined)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (result.redisClusterNodes.length > 0) result.redisUrl = `redis+cluster://${result.redisClusterNodes.join(',')}`;
  result.redisCluster = result.redisUrl !== undefined && isRedisClusterUrl(result.redisUrl);
  if (result.redisCluster) result.queuePrefix = `{${result.queuePrefix}}`;
  result.dataDir = path.resolve(result.dataDir);
  result.storageDir = path.join(result.dataDir, 'storage');
  result.redisDir = path.join(result.dataDir, 'redis');
  if (result.tlsCertFile !== undefined) result.tlsCertFile = path.resolve(result.tlsCertFile);
  if (result.tlsKeyFile !== undefined) result.tlsKeyFile = path.resolve(result.tlsKeyFile);
  if (result.auditLog !== undefined && result.auditLog !== 'stdout') result.auditLog = path.resolve(result.auditLog);
  return Object.freeze(result);
}
