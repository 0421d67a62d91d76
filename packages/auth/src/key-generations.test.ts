import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { AccessKey } from './access-key.js';
import { CredentialSet } from './credential-set.js';
import { KeyGenerations } from './key-generations.js';
import { LoginTokens } from './login-tokens.js';
import { NamePattern } from './name-pattern.js';

const grants = [{ actions: [new NamePattern('*')], repositories: [new NamePattern('*')] }];
const key = new AccessKey('AKIASNAPSHOT0001', 'the-secret-access-key', grants);
const other = new AccessKey('AKIASNAPSHOT0002', 'another-secret-access-key', grants);
const both = new CredentialSet([key, other], []);
const onlyOther = new CredentialSet([other], []);
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (err: Error) => err.name,
  );

describe('KeyGenerations snapshot', () => {
  const clients: Redis[] = [];
  const connect = () => {
    const redis = new Redis(inject('redisUrl'));
    clients.push(redis);
    return redis;
  };
  let hashKey: string;
  beforeAll(() => {
    hashKey = `test-${randomUUID()}:key-generations`;
  });
  afterAll(() => Promise.all(clients.map((c) => c.quit().catch(() => undefined))));

  it('answers from memory once reconciled: verifying a token reads nothing from Redis', async () => {
    const redis = connect();
    const generations = new KeyGenerations(redis, `test-${randomUUID()}:key-generations`);
    const tokens = new LoginTokens('server-secret-0123456789', 3600, generations);
    await generations.reconcile(both);
    const token = (await tokens.issue(key)).token;
    redis.disconnect(); // any Redis command from here on would fail
    expect(await tokens.verify(token, both)).toBe(key);
    expect(await generations.current(other.accessKeyId)).toBe(0);
  });

  it('a reader waits for the reconcile under way: a token of the key being removed is refused at once', async () => {
    const generations = new KeyGenerations(connect(), hashKey);
    const tokens = new LoginTokens('server-secret-0123456789', 3600, generations);
    await generations.reconcile(both);
    const token = (await tokens.issue(key)).token;
    expect(await outcome(tokens.verify(token, both))).toBe('accepted');
    // The removal is being recorded (not awaited, as a request arriving meanwhile would not wait for it);
    // the snapshot in force still has the key's old generation, but the reader gets the new one.
    void generations.reconcile(onlyOther);
    expect(await outcome(tokens.verify(token, both))).toBe('InvalidSignatureException');
  });

  it("another replica's revocation takes effect with the next refresh", async () => {
    const shared = `test-${randomUUID()}:key-generations`;
    const here = new KeyGenerations(connect(), shared);
    const there = new KeyGenerations(connect(), shared);
    const tokensHere = new LoginTokens('server-secret-0123456789', 3600, here);
    await here.reconcile(both);
    const token = (await tokensHere.issue(key)).token;
    expect(await outcome(tokensHere.verify(token, both))).toBe('accepted');

    await there.reconcile(onlyOther); // the other replica saw the key removed
    await there.reconcile(both); // and put back
    await here.refresh();
    expect(await outcome(tokensHere.verify(token, both))).toBe('InvalidSignatureException');
    expect(await here.current(key.accessKeyId)).toBe(await there.current(key.accessKeyId));
  });

  it('a refresh and a reconcile sent together leave the newer state in force', async () => {
    const shared = `test-${randomUUID()}:key-generations`;
    const generations = new KeyGenerations(connect(), shared);
    await generations.reconcile(both);
    // Sent in this order on one connection: the refresh reads the hash before the removal.
    const refreshed = generations.refresh();
    const removed = generations.reconcile(onlyOther);
    await Promise.all([refreshed, removed]);
    expect(await generations.current(key.accessKeyId)).toBe(1);
    await generations.refresh();
    expect(await generations.current(key.accessKeyId)).toBe(1);
  });
});
