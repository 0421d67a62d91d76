import { UnsupportedUpstreamRegistryException } from '@longshore/domain';
import { describe, expect, it } from 'vitest';
import { matchRule, normalizePrefix, upstreamBaseUrl, type PullThroughRule } from './pull-through-rule.js';

const rule = (ecrRepositoryPrefix: string, extra: Partial<PullThroughRule> = {}): PullThroughRule => ({
  ecrRepositoryPrefix,
  upstreamRegistryUrl: 'registry-1.docker.io',
  registryId: '123456789012',
  createdAt: 0,
  updatedAt: 0,
  ...extra,
});

describe('pull-through cache rules', () => {
  it('reaches an upstream over HTTPS unless http:// is written', () => {
    expect(upstreamBaseUrl('registry-1.docker.io').href).toBe('https://registry-1.docker.io/');
    expect(upstreamBaseUrl('https://ghcr.io/').href).toBe('https://ghcr.io/');
    expect(upstreamBaseUrl('http://10.0.0.5:5000').href).toBe('http://10.0.0.5:5000/');
    expect(upstreamBaseUrl('127.0.0.1:5000').href).toBe('https://127.0.0.1:5000/');
  });

  it('refuses upstream URLs that are not a registry host', () => {
    for (const url of ['ftp://example.com', 'https://example.com/v2/x', 'https://u:p@example.com', 'https://x?y=1']) {
      expect(() => upstreamBaseUrl(url), url).toThrow(UnsupportedUpstreamRegistryException);
    }
  });

  it('maps a repository to its upstream by the longest matching prefix, ROOT last', () => {
    const rules = [
      rule('ROOT'),
      rule('hub'),
      rule('hub/library', { upstreamRepositoryPrefix: 'library' }),
      rule('ghcr'),
    ];
    expect(matchRule(rules, 'hub/library/node')).toMatchObject({
      rule: { ecrRepositoryPrefix: 'hub/library' },
      upstreamRepository: 'library/node',
    });
    expect(matchRule(rules, 'hub/bitnami/redis')).toMatchObject({
      rule: { ecrRepositoryPrefix: 'hub' },
      upstreamRepository: 'bitnami/redis',
    });
    expect(matchRule(rules, 'hubble/x')).toMatchObject({
      rule: { ecrRepositoryPrefix: 'ROOT' },
      upstreamRepository: 'hubble/x',
    });
    expect(matchRule([rule('hub')], 'hubble/x')).toBeUndefined();
    expect(matchRule([rule('hub')], 'hub')).toBeUndefined();
  });

  it("stores prefixes without the model's optional trailing slash", () => {
    expect(normalizePrefix('docker-hub/')).toBe('docker-hub');
    expect(normalizePrefix('ROOT')).toBe('ROOT');
  });
});
