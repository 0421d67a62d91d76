export { loadConfig, ConfigError } from './load-config.js';
export { configSpec, type Config, type Settings, type Setting } from './config-spec.js';
export {
  isRedisClusterUrl,
  parseRedisClusterUrl,
  parseRedisNode,
  type RedisClusterAddress,
} from './redis-cluster-url.js';
export { createClock, type Clock } from './clock.js';
export { childMemoryEnv } from './child-memory-env.js';
export { v8HeapFlags } from './v8-heap-flags.js';
