import { describe, expect, it } from 'vitest';
import { AccessKey } from './access-key.js';
import { ConsoleSessions } from './console-sessions.js';
import { CredentialSet } from './credential-set.js';
import { LoginTokens } from './login-tokens.js';
import { NamePattern } from './name-pattern.js';

const grants = [{ actions: [new NamePattern('*')], repositories: [new NamePattern('*')] }];
const key = new AccessKey('AKIACONSOLE0001', 'the-secret-access-key', grants);
const keys = new CredentialSet([key], []);
const secret = 'server-secret-0123456789';
const sessions = new ConsoleSessions(secret);
const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: Error) => err.name,
  );

describe('ConsoleSessions', () => {
  it('signs in with the exact secret only, answering an unknown key and a wrong secret alike', () => {
    expect(sessions.signIn(keys, key.accessKeyId, key.secretAccessKey)).toBe(key);
    const wrong = () => sessions.signIn(keys, key.accessKeyId, `${key.secretAccessKey}x`);
    const unknown = () => sessions.signIn(keys, 'AKIANOBODY', key.secretAccessKey);
    expect(wrong).toThrow(/not valid/);
    expect(wrong).toThrowError(expect.objectContaining({ name: 'UnrecognizedClientException' }));
    expect(unknown).toThrowError(
      expect.objectContaining({ name: 'UnrecognizedClientException', message: expect.stringMatching(/not valid/) }),
    );
  });

  it('opens a 12-hour session that verifies back to its key, and not after it expired', async () => {
    const now = Date.now();
    const session = await sessions.open(key, now);
    expect(session.expiresAt.getTime() - now).toBeGreaterThan(12 * 3600_000 - 1000);
    expect(session.expiresAt.getTime() - now).toBeLessThanOrEqual(12 * 3600_000);
    expect(sessions.claimedKeyId(session.value)).toBe(key.accessKeyId);
    await expect(sessions.verify(session.value, keys, now)).resolves.toBe(key);
    expect(await errorName(sessions.verify(session.value, keys, now + 12 * 3600_000 + 1000))).toBe(
      'InvalidSignatureException',
    );
  });

  it('ends when the key is removed or its secret changes, and is no registry login token', async () => {
    const session = await sessions.open(key);
    expect(await errorName(sessions.verify(session.value, new CredentialSet([], [])))).toBe(
      'InvalidSignatureException',
    );
    const rotated = new CredentialSet([new AccessKey(key.accessKeyId, 'another-secret', grants)], []);
    expect(await errorName(sessions.verify(session.value, rotated))).toBe('InvalidSignatureException');
    // The same server secret signs login tokens; a session cookie is not one, nor the reverse.
    const tokens = new LoginTokens(secret, 3600);
    expect(await errorName(tokens.verify(session.value, keys))).toBe('InvalidSignatureException');
    const token = await tokens.issue(key);
    expect(await errorName(sessions.verify(token.token, keys))).toBe('InvalidSignatureException');
  });
});
