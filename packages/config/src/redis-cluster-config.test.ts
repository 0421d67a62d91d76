import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';
import { parseRedisClusterUrl } from './redis-cluster-url.js';

describe('Redis Cluster configuration', () => {
  it('keeps a single Redis and the plain queue prefix by default', () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6380' });
    expect(config.redisCluster).toBe(false);
    expect(config.queuePrefix).toBe('longshore');
  });

  it('takes a redis+cluster:// REDIS_URL and hash-tags the queue prefix', () => {
    const config = loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001', QUEUE_PREFIX: 'ci' });
    expect(config.redisCluster).toBe(true);
    expect(config.redisUrl).toBe('redis+cluster://10.0.0.1:7000,10.0.0.2:7001');
    expect(config.queuePrefix).toBe('{ci}');
  });

  it('builds the cluster URL from REDIS_CLUSTER_NODES', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, [::1]:7001 ' });
    expect(config.redisCluster).toBe(true);
    expect(config.redisUrl).toBe('redis+cluster://10.0.0.1:7000,[::1]:7001');
    expect(config.queuePrefix).toBe('{longshore}');
  });

  it('reports malformed cluster settings by name, and both set at once', () => {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    expect(problems({ REDIS_CLUSTER_NODES: 'node-a' })).toEqual([
      expect.stringMatching(/^REDIS_CLUSTER_NODES must be host:port/),
    ]);
    expect(problems({ REDIS_URL: 'redis+cluster://a:1,b' })).toEqual([
      expect.stringMatching(/^REDIS_URL must be host:port, got 'b'/),
    ]);
    expect(problems({ REDIS_URL: 'redis+cluster://a:99999' })).toEqual([
      expect.stringMatching(/^REDIS_URL must be host:port/),
    ]);
    expect(problems({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' })).toEqual([
      'set REDIS_URL or REDIS_CLUSTER_NODES, not both',
    ]);
  });

  it('parses credentials and TLS from the cluster URL', () => {
    expect(parseRedisClusterUrl('rediss+cluster://app:p%40ss@h1:7000,[fd00::2]:7001')).toEqual({
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'fd00::2', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    expect(parseRedisClusterUrl('redis+cluster://:secret@h1:7000/')).toEqual({
      nodes: [{ host: 'h1', port: 7000 }],
      password: 'secret',
      tls: false,
    });
  });
});
