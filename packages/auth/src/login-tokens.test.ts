import { describe, expect, it } from 'vitest';
import { AccessKey } from './access-key.js';
import { CredentialSet } from './credential-set.js';
import { LoginTokens } from './login-tokens.js';
import { NamePattern } from './name-pattern.js';

const grants = [{ actions: [new NamePattern('*')], repositories: [new NamePattern('*')] }];
const key = new AccessKey('AKIAEXAMPLE0001', 'the-secret-access-key', grants);
const tokens = new LoginTokens('server-secret-0123456789', 12 * 3600);
const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  return undefined;
};

describe('LoginTokens', () => {
  it('issues base64(AWS:<token>) valid for 12 hours, verified back to its key', () => {
    const now = Date.now();
    const issued = tokens.issue(key, now);
    expect(Buffer.from(issued.authorizationToken, 'base64').toString()).toBe(`AWS:${issued.token}`);
    expect(issued.expiresAt.getTime()).toBe((Math.floor(now / 1000) + 12 * 3600) * 1000);
    expect(tokens.verify(issued.token, new CredentialSet([key], []), now)).toBe(key);
  });

  it('refuses expired, forged and foreign tokens', () => {
    const credentials = new CredentialSet([key], []);
    const old = tokens.issue(key, Date.now() - 13 * 3600_000).token;
    expect(failure(() => tokens.verify(old, credentials))).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/expired/),
    });
    const token = tokens.issue(key).token;
    const forged = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    expect(failure(() => tokens.verify(forged, credentials))).toMatchObject({ name: 'InvalidSignatureException' });
    const otherServer = new LoginTokens('another-server-secret-99', 12 * 3600).issue(key).token;
    expect(failure(() => tokens.verify(otherServer, credentials))).toMatchObject({ name: 'InvalidSignatureException' });
    expect(failure(() => tokens.verify('garbage', credentials))).toMatchObject({ name: 'InvalidSignatureException' });
  });

  it('is revoked with its key: removed, or its secret changed', () => {
    const token = tokens.issue(key).token;
    expect(failure(() => tokens.verify(token, new CredentialSet([], [])))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
    const rotated = new AccessKey(key.accessKeyId, 'a-new-secret-access-key', grants);
    expect(failure(() => tokens.verify(token, new CredentialSet([rotated], [])))).toMatchObject({
      name: 'InvalidSignatureException',
    });
  });
});
