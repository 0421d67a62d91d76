import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { AccessKey } from './access-key.js';
import { CredentialSet } from './credential-set.js';
import { KeyGenerations } from './key-generations.js';
import { LoginTokens } from './login-tokens.js';
import { NamePattern } from './name-pattern.js';

const grants = [{ actions: [new NamePattern('*')], repositories: [new NamePattern('*')] }];
const key = new AccessKey('AKIAEXAMPLE0001', 'the-secret-access-key', grants);
const tokens = new LoginTokens('server-secret-0123456789', 12 * 3600);
const failure = async (fn: () => Promise<unknown>) => {
  try {
    await fn();
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  return undefined;
};
const NOT_VALID = {
  name: 'InvalidSignatureException',
  message: expect.stringMatching(/^The login token is not valid/),
};

describe('LoginTokens', () => {
  it('issues base64(AWS:<token>) valid for 12 hours, verified back to its key', async () => {
    const now = Date.now();
    const issued = await tokens.issue(key, now);
    expect(Buffer.from(issued.authorizationToken, 'base64').toString()).toBe(`AWS:${issued.token}`);
    expect(issued.expiresAt.getTime()).toBe((Math.floor(now / 1000) + 12 * 3600) * 1000);
    expect(await tokens.verify(issued.token, new CredentialSet([key], []), now)).toBe(key);
    expect(tokens.claimedKeyId(issued.token)).toBe(key.accessKeyId);
  });

  it('refuses expired, forged and foreign tokens', async () => {
    const credentials = new CredentialSet([key], []);
    const old = (await tokens.issue(key, Date.now() - 13 * 3600_000)).token;
    expect(await failure(() => tokens.verify(old, credentials))).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/expired/),
    });
    const token = (await tokens.issue(key)).token;
    const forged = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    expect(await failure(() => tokens.verify(forged, credentials))).toMatchObject(NOT_VALID);
    const otherServer = (await new LoginTokens('another-server-secret-99', 12 * 3600).issue(key)).token;
    expect(await failure(() => tokens.verify(otherServer, credentials))).toMatchObject(NOT_VALID);
    expect(await failure(() => tokens.verify('garbage', credentials))).toMatchObject(NOT_VALID);
  });

  it('answers a forged token of an unknown key id as one of a known key id (no key id oracle)', async () => {
    const token = (await tokens.issue(key)).token;
    const forged = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const known = await failure(() => tokens.verify(forged, new CredentialSet([key], [])));
    const unknown = await failure(() => tokens.verify(forged, new CredentialSet([], [])));
    expect(unknown).toEqual(known);
  });

  it('is revoked with its key: removed, or its secret changed', async () => {
    const token = (await tokens.issue(key)).token;
    expect(await failure(() => tokens.verify(token, new CredentialSet([], [])))).toMatchObject(NOT_VALID);
    const rotated = new AccessKey(key.accessKeyId, 'a-new-secret-access-key', grants);
    expect(await failure(() => tokens.verify(token, new CredentialSet([rotated], [])))).toMatchObject(NOT_VALID);
  });

  it('checks a token it verified before against the key as configured now, and its expiry every time', async () => {
    const own = new LoginTokens('server-secret-0123456789', 3600);
    const now = Date.now();
    const { token } = await own.issue(key, now);
    expect(await own.verify(token, new CredentialSet([key], []), now)).toBe(key);
    // Verified once (and remembered): a removed key, a changed secret and the expiry still refuse it.
    expect(await failure(() => own.verify(token, new CredentialSet([], []), now))).toMatchObject(NOT_VALID);
    const rotated = new AccessKey(key.accessKeyId, 'a-new-secret-access-key', grants);
    expect(await failure(() => own.verify(token, new CredentialSet([rotated], []), now))).toMatchObject(NOT_VALID);
    expect(await failure(() => own.verify(token, new CredentialSet([key], []), now + 3601_000))).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/expired/),
    });
    // The same key reloaded (a new object with the same secret) proves it again.
    const reloaded = new AccessKey(key.accessKeyId, 'the-secret-access-key', grants);
    expect(await own.verify(token, new CredentialSet([reloaded], []), now)).toBe(reloaded);
    expect(own.claimedKeyId(token)).toBe(key.accessKeyId);
  });
});

describe('LoginTokens with key generations (Redis)', () => {
  let redis: Redis;
  let generations: KeyGenerations;
  let generational: LoginTokens;
  const other = new AccessKey('AKIAEXAMPLE0002', 'another-secret-access-key', grants);

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
    generations = new KeyGenerations(redis, `test-${randomUUID()}:key-generations`);
    generational = new LoginTokens('server-secret-0123456789', 12 * 3600, generations);
  });
  afterAll(() => redis.quit());

  it('keeps a removed key’s tokens dead when the same key is put back', async () => {
    const configured = new CredentialSet([key, other], []);
    await generations.reconcile(configured);
    const token = (await generational.issue(key)).token;
    const othersToken = (await generational.issue(other)).token;
    expect(await generational.verify(token, configured)).toBe(key);

    await generations.reconcile(new CredentialSet([other], [])); // key removed
    await generations.reconcile(new CredentialSet([other], [])); // a second replica sees the same file
    await generations.reconcile(configured); // and put back, secret unchanged
    expect(await failure(() => generational.verify(token, configured))).toMatchObject(NOT_VALID);
    // The other key's tokens, and the put-back key's new ones, are good.
    expect(await generational.verify(othersToken, configured)).toBe(other);
    const fresh = (await generational.issue(key)).token;
    expect(await generational.verify(fresh, configured)).toBe(key);
    await generations.reconcile(configured);
    expect(await generational.verify(fresh, configured)).toBe(key);
  });

  it('kills tokens of a key whose secret changed, even when the old secret comes back', async () => {
    const configured = new CredentialSet([key], []);
    await generations.reconcile(configured);
    const token = (await generational.issue(key)).token;
    const rotated = new AccessKey(key.accessKeyId, 'a-new-secret-access-key', grants);
    await generations.reconcile(new CredentialSet([rotated], []));
    await generations.reconcile(configured);
    expect(await failure(() => generational.verify(token, configured))).toMatchObject(NOT_VALID);
  });
});
