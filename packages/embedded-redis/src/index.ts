export { findRedisServer } from './find-redis-server.js';
export { installRedisServer, redisServerRequirement } from './install-redis-server.js';
export { RedisServerNotFoundError } from './redis-server-not-found-error.js';
export { RedisServerStartError } from './redis-server-start-error.js';
export {
  startEmbeddedRedis,
  type AppendFsync,
  type EmbeddedRedis,
  type EmbeddedRedisOptions,
} from './start-embedded-redis.js';
export {
  startEmbeddedRedisCluster,
  type EmbeddedRedisCluster,
  type EmbeddedRedisClusterOptions,
} from './start-embedded-redis-cluster.js';
export {
  REDIS_RUNTIME_FILE,
  readRedisRuntimeFile,
  removeRedisRuntimeFile,
  writeRedisRuntimeFile,
  type RedisRuntime,
} from './redis-runtime-file.js';
