import { describe, expect, it } from 'vitest';
import { UpstreamCredentials } from './upstream-credentials.js';

const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub';

describe('UPSTREAM_CREDENTIALS_FILE', () => {
  it('reads credential ARNs to a username and access token', () => {
    const credentials = UpstreamCredentials.parse(
      JSON.stringify({ [arn]: { username: 'me', accessToken: 'dckr_pat_x' } }),
    );
    expect(credentials.get(arn)).toEqual({ username: 'me', accessToken: 'dckr_pat_x' });
    expect(credentials.has(`${arn}-other`)).toBe(false);
  });

  it('refuses a malformed file without quoting a secret', () => {
    expect(() => UpstreamCredentials.parse('{')).toThrow(/not valid JSON/);
    expect(() => UpstreamCredentials.parse('[]')).toThrow(/JSON object/);
    expect(() =>
      UpstreamCredentials.parse(JSON.stringify({ 'not-an-arn': { username: 'u', accessToken: 't' } })),
    ).toThrow(/not a credential ARN/);
    const missing = () => UpstreamCredentials.parse(JSON.stringify({ [arn]: { username: 'u', password: 'hunter22' } }));
    expect(missing).toThrow(/needs a non-empty "username" and "accessToken"/);
    expect(missing).not.toThrow(/hunter22/);
  });
});
