import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4, getCanonicalHeaders } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { AccessKey } from './access-key.js';
import { CredentialSet } from './credential-set.js';
import { NamePattern } from './name-pattern.js';
import { type SignedRequest, UNSIGNED_PAYLOAD, rootCanonicalRequest, verifySigV4 } from './sigv4-verifier.js';

const everything = [{ actions: [new NamePattern('*')], repositories: [new NamePattern('*')] }];
const key = new AccessKey('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', everything);
const temporary = new AccessKey('ASIATEMPORARY', 'temporary-secret-key', everything, 'the-session-token');
const credentials = new CredentialSet([key, temporary], []);
const policy = { service: 'ecr', region: 'us-east-1', maxSkewMs: 15 * 60_000 };
const sha256 = (body: string) => createHash('sha256').update(body).digest('hex');

/** Signs as the AWS SDK does, then returns the request as the service would receive it. */
async function signed(
  body: string,
  options: {
    signingKey?: AccessKey;
    date?: Date;
    headers?: Record<string, string>;
    path?: string;
    query?: Record<string, string | string[]>;
    unsigned?: string[];
  } = {},
): Promise<SignedRequest> {
  const signingKey = options.signingKey ?? key;
  const signer = new SignatureV4({
    service: 'ecr',
    region: 'us-east-1',
    credentials: {
      accessKeyId: signingKey.accessKeyId,
      secretAccessKey: signingKey.secretAccessKey,
      ...(signingKey.sessionToken ? { sessionToken: signingKey.sessionToken } : {}),
    },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const request = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 5000,
      path: options.path ?? '/',
      query: options.query ?? {},
      headers: {
        host: '127.0.0.1:5000',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
        ...options.headers,
      },
      body,
    },
    {
      ...(options.date ? { signingDate: options.date } : {}),
      ...(options.unsigned ? { unsignableHeaders: new Set(options.unsigned) } : {}),
    },
  );
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: 'POST',
    path: options.path ?? '/',
    query: options.query ?? {},
    headers,
    payloadSha256: sha256(body),
  };
}

const rejection = (request: SignedRequest, now?: number) =>
  verifySigV4(request, credentials, policy, now).then(
    () => undefined,
    (err: Error) => ({ name: err.name, message: err.message }),
  );

describe('verifySigV4', () => {
  it('accepts what the SDK signer signed and returns the key', async () => {
    await expect(verifySigV4(await signed('{}'), credentials, policy)).resolves.toBe(key);
  });

  it('hashes the body that arrived: a changed body is an invalid signature', async () => {
    const request = await signed('{"repositoryName":"team-a/app"}');
    expect(await rejection({ ...request, payloadSha256: sha256('{"repositoryName":"team-b/app"}') })).toMatchObject({
      name: 'InvalidSignatureException',
    });
  });

  it('never trusts x-amz-content-sha256: it must be the hash of what arrived', async () => {
    const body = '{"repositoryName":"team-a/app"}';
    const request = await signed(body, { headers: { 'x-amz-content-sha256': sha256(body) } });
    await expect(verifySigV4(request, credentials, policy)).resolves.toBe(key);
    expect(await rejection({ ...request, payloadSha256: sha256('{}') })).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/x-amz-content-sha256/),
    });
  });

  it('accepts UNSIGNED-PAYLOAD only where the door streams the body and the client signed that literal', async () => {
    const request = await signed('', { headers: { 'x-amz-content-sha256': UNSIGNED_PAYLOAD } });
    await expect(verifySigV4({ ...request, payloadSha256: UNSIGNED_PAYLOAD }, credentials, policy)).resolves.toBe(key);
    expect(await rejection({ ...(await signed('')), payloadSha256: UNSIGNED_PAYLOAD })).toMatchObject({
      name: 'InvalidSignatureException',
    });
  });

  it('answers each failure with the exception AWS raises', async () => {
    const request = await signed('{}');
    expect(await rejection({ ...request, headers: { ...request.headers, authorization: undefined } })).toEqual({
      name: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
    const stranger = new AccessKey('AKIASTRANGER', 'some-secret-key', everything);
    expect(await rejection(await signed('{}', { signingKey: stranger }))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
    const wrongSecret = new AccessKey('AKIDEXAMPLE', 'not-the-secret', everything);
    expect(await rejection(await signed('{}', { signingKey: wrongSecret }))).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/does not match/),
    });
    expect(
      await rejection({ ...request, headers: { ...request.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } }),
    ).toMatchObject({
      name: 'InvalidSignatureException',
    });
  });

  it('allows 15 minutes of clock skew, not 16', async () => {
    const now = Date.now();
    await expect(
      verifySigV4(await signed('{}', { date: new Date(now - 14 * 60_000) }), credentials, policy, now),
    ).resolves.toBe(key);
    expect(await rejection(await signed('{}', { date: new Date(now - 16 * 60_000) }), now)).toMatchObject({
      message: expect.stringMatching(/^Signature expired/),
    });
    expect(await rejection(await signed('{}', { date: new Date(now + 16 * 60_000) }), now)).toMatchObject({
      message: expect.stringMatching(/^Signature not yet current/),
    });
  });

  it('requires the configured session token of temporary credentials, and only theirs', async () => {
    await expect(verifySigV4(await signed('{}', { signingKey: temporary }), credentials, policy)).resolves.toBe(
      temporary,
    );
    const withoutToken = new AccessKey('ASIATEMPORARY', 'temporary-secret-key', everything);
    expect(await rejection(await signed('{}', { signingKey: withoutToken }))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
    const keyWithStrayToken = new AccessKey(
      'AKIDEXAMPLE',
      key.secretAccessKey,
      everything,
      'a-token-nobody-configured',
    );
    expect(await rejection(await signed('{}', { signingKey: keyWithStrayToken }))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
  });

  it('requires X-Amz-Target and every other x-amz-* header that arrived to be signed', async () => {
    const withoutTarget = await signed('{}', { unsigned: ['x-amz-target'] });
    expect(withoutTarget.headers.authorization).toMatch(/SignedHeaders=content-type;host;x-amz-date,/);
    expect(await rejection(withoutTarget)).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/'x-amz-target' must be among the signed headers/),
    });
    const strayHeader = await signed('{}');
    expect(
      await rejection({ ...strayHeader, headers: { ...strayHeader.headers, 'x-amz-meta-extra': 'added in flight' } }),
    ).toMatchObject({ name: 'InvalidSignatureException', message: expect.stringMatching(/x-amz-meta-extra/) });
  });

  it('matches the SDK signer on escaped paths, repeated query parameters and folded header values', async () => {
    const query = { last: 'team-a/app:v1 (rc)', n: ['2', '10'], 'x-amz-signature': 'ignored' };
    const request = await signed('{}', {
      path: "/v2/team-a/app!/blobs/uploads/./a b/../x*'y'/",
      query,
      headers: { 'x-amz-meta-note': '  two   spaces  inside ' },
    });
    await expect(verifySigV4(request, credentials, policy)).resolves.toBe(key);
    expect(await rejection({ ...request, query: { ...query, n: ['2', '11'] } })).toMatchObject({
      name: 'InvalidSignatureException',
    });
    expect(await rejection({ ...request, path: '/v2/team-a/app!/blobs/uploads/other/' })).toMatchObject({
      name: 'InvalidSignatureException',
    });
  });

  it('matches the SDK signer at `/` (the ECR door) on folded values, tabs, line breaks and unsignable headers', async () => {
    for (const headers of <Record<string, string>[]>[
      { 'x-amz-meta-note': '  two   spaces  inside ' },
      { 'x-amz-meta-note': '\ttab\tand\r\nbreak ', 'user-agent': 'aws-sdk-js/3' },
      { 'x-amz-meta-a': 'a', 'x-amz-meta-b': ' b', 'x-amz-meta-c': 'c ' },
    ]) {
      const request = await signed('{"repositoryName":"app"}', { headers });
      await expect(verifySigV4(request, credentials, policy)).resolves.toBe(key);
      const name = Object.keys(headers)[0]!;
      const changed = { ...request, headers: { ...request.headers, [name]: 'changed' } };
      expect(await rejection(changed)).toMatchObject({ name: 'InvalidSignatureException' });
    }
    // A signed header the signer would leave out unsigned (User-Agent) is covered once signed.
    const withAgent = await signed('{}', { headers: { 'user-agent': 'aws-sdk-js/3' } });
    const agentSigned = await signed('{}', { headers: { 'user-agent': 'aws-sdk-js/3' }, unsigned: [] });
    for (const request of [withAgent, agentSigned])
      await expect(verifySigV4(request, credentials, policy)).resolves.toBe(key);
    // Temporary credentials at `/`: the session token is signed and checked.
    const temp = await signed('{}', { signingKey: temporary });
    await expect(verifySigV4(temp, credentials, policy)).resolves.toBe(temporary);
  });

  it("builds the SDK signer's very canonical request at `/`", () => {
    const headers = {
      host: '127.0.0.1:5000',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.UploadLayerPart',
      'x-amz-meta-note': ' a \t b\r\nc  ',
      'user-agent': 'aws-sdk-js/3',
      'proxy-authorization': 'x',
      'sec-fetch-mode': 'cors',
      'x-amz-date': '20261207T050000Z',
      'x-amz-content-sha256': sha256('{}'),
    };
    const sdk = new (class extends SignatureV4 {
      canonical(signed: Set<string>, unsignable: Set<string>) {
        const request = { method: 'POST', path: '/', query: {}, headers } as never;
        return this.createCanonicalRequest(request, getCanonicalHeaders(request, unsignable, signed), sha256('{}'));
      }
    })({
      service: 'ecr',
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      sha256: Hash.bind(null, 'sha256'),
    });
    for (const signedNames of [
      ['content-type', 'host', 'x-amz-date', 'x-amz-meta-note', 'x-amz-target'],
      Object.keys(headers),
      ['host', 'user-agent', 'x-amz-date', 'sec-fetch-mode'],
    ]) {
      for (const unsignable of [new Set<string>(), new Set(['x-amz-content-sha256'])]) {
        expect(rootCanonicalRequest('POST', headers, unsignable, signedNames)).toBe(
          sdk.canonical(new Set(signedNames), unsignable),
        );
      }
    }
  });

  it("a rotated secret takes effect at once: the old secret's cached signing key is never used", async () => {
    const request = await signed('{}');
    await expect(verifySigV4(request, credentials, policy)).resolves.toBe(key);
    const rotated = new AccessKey('AKIDEXAMPLE', 'the-rotated-secret', everything);
    const afterRotation = new CredentialSet([rotated], []);
    expect(
      await verifySigV4(request, afterRotation, policy).then(
        () => 'accepted',
        (err: Error) => err.name,
      ),
    ).toBe('InvalidSignatureException');
    await expect(verifySigV4(await signed('{}', { signingKey: rotated }), afterRotation, policy)).resolves.toBe(
      rotated,
    );
    // ...and a request signed with the new secret is refused where the old one is still configured.
    expect(await rejection(await signed('{}', { signingKey: rotated }))).toMatchObject({
      name: 'InvalidSignatureException',
    });
  });
});
