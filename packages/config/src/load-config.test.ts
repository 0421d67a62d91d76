import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('applies defaults when the environment is empty', () => {
    const config = loadConfig({});
    expect(config.port).toBe(5000);
    expect(config.registryId).toBe('000000000000');
    expect(config.minPartSize).toBe(5 * 1024 * 1024);
    expect(config.redisUrl).toBeUndefined();
    expect(config.dataDir.startsWith('/')).toBe(true);
  });

  it('lets the environment win over overrides', () => {
    const config = loadConfig({ PORT: '7000' }, { port: 6000, host: '0.0.0.0' });
    expect(config.port).toBe(7000);
    expect(config.host).toBe('0.0.0.0');
  });

  it('reports every bad variable at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', REGISTRY_ID: '123', REDIS_URL: 'http://x', VERIFY_MODE: 'some' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT must be a whole number/);
    expect(problems).toMatch(/REGISTRY_ID must be exactly 12 digits/);
    expect(problems).toMatch(/REDIS_URL must use redis: or rediss:/);
    expect(problems).toMatch(/VERIFY_MODE must be one of parts, full/);
  });

  it('rejects a minimum part size above the maximum', () => {
    expect(() => loadConfig({ MIN_PART_SIZE: '2000', MAX_PART_SIZE: '1000' })).toThrow(/MIN_PART_SIZE/);
  });

  it('parses the callback allowlist as a list', () => {
    const config = loadConfig({
      CALLBACK_ALLOWLIST: 'http://127.0.0.1:9000/, https://ci.example/hooks',
      CALLBACK_SECRET: 's3cret',
    });
    expect(config.callbackAllowlist).toEqual(['http://127.0.0.1:9000/', 'https://ci.example/hooks']);
  });

  it('requires a signing secret when callbacks are enabled', () => {
    expect(() => loadConfig({ CALLBACK_ALLOWLIST: 'http://127.0.0.1:9000/' })).toThrow(/CALLBACK_SECRET must be set/);
  });
});
