import { randomBytes, randomUUID } from 'node:crypto';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  EmptyUploadException,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  InvalidLayerException,
  InvalidLayerPartException,
  InvalidParameterException,
  LayerAlreadyExistsException,
  LayerPartTooSmallException,
  LayersNotFoundException,
  LimitExceededException,
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
  UploadLayerPartCommand,
  UploadNotFoundException,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, pushLayer, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';

const REGISTRY_ID = '000000000000';
const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const MIN_PART_SIZE = 1024;

let repositorySeq = 0;
/** A fresh repository name per test, so tests share the harness but no state. */
function repositoryName(): string {
  repositorySeq += 1;
  return `errors/r${repositorySeq}`;
}

async function createRepository(ecr: ECRClient): Promise<string> {
  const name = repositoryName();
  await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  return name;
}

async function initiate(ecr: ECRClient, name: string): Promise<string> {
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: name }));
  return uploadId!;
}

/** UploadLayerPart of `bytes` declared as the range [first, last] (by default, what the bytes cover). */
function uploadPart(
  ecr: ECRClient,
  name: string,
  uploadId: string,
  first: number,
  bytes: Uint8Array,
  last = first + bytes.length - 1,
) {
  return ecr.send(
    new UploadLayerPartCommand({
      repositoryName: name,
      uploadId,
      partFirstByte: first,
      partLastByte: last,
      layerPartBlob: bytes,
    }),
  );
}

describe('ECR errors, as the AWS SDK raises them', () => {
  let longshore: Longshore;
  let ecr: ECRClient;
  beforeAll(async () => {
    longshore = await startLongshore({ env: { MIN_PART_SIZE: String(MIN_PART_SIZE) } });
    ecr = longshore.ecr;
  });
  afterAll(() => longshore?.close());

  describe('InvalidLayerPartException', () => {
    it('when the first part does not start at byte 0', async () => {
      const name = await createRepository(ecr);
      const uploadId = await initiate(ecr, name);
      const err = await rejectionOf(uploadPart(ecr, name, uploadId, 10, randomBytes(100)), InvalidLayerPartException);
      expect(httpStatusOf(err)).toBe(400);
      expect(err).toMatchObject({ registryId: REGISTRY_ID, repositoryName: name, uploadId, lastValidByteReceived: -1 });
      expect(err.message).toMatch(/start at byte 0/);
    });

    it('when a part leaves a gap after the bytes received', async () => {
      const name = await createRepository(ecr);
      const uploadId = await initiate(ecr, name);
      await uploadPart(ecr, name, uploadId, 0, randomBytes(2000));
      const err = await rejectionOf(
        uploadPart(ecr, name, uploadId, 2001, randomBytes(2000)),
        InvalidLayerPartException,
      );
      expect(httpStatusOf(err)).toBe(400);
      expect(err).toMatchObject({
        registryId: REGISTRY_ID,
        repositoryName: name,
        uploadId,
        lastValidByteReceived: 1999,
      });
    });

    it("when the part's range does not match the length of its bytes", async () => {
      const name = await createRepository(ecr);
      const uploadId = await initiate(ecr, name);
      const first = await rejectionOf(
        uploadPart(ecr, name, uploadId, 0, randomBytes(100), 199),
        InvalidLayerPartException,
      );
      expect(httpStatusOf(first)).toBe(400);
      expect(first).toMatchObject({
        registryId: REGISTRY_ID,
        repositoryName: name,
        uploadId,
        lastValidByteReceived: -1,
      });

      await uploadPart(ecr, name, uploadId, 0, randomBytes(2000));
      const later = await rejectionOf(
        uploadPart(ecr, name, uploadId, 2000, randomBytes(100), 2098),
        InvalidLayerPartException,
      );
      expect(later).toMatchObject({ uploadId, lastValidByteReceived: 1999 });
    });

    it('when two clients send different bytes for the same range at once: exactly one is accepted', async () => {
      const name = await createRepository(ecr);
      for (let round = 0; round < 6; round++) {
        const uploadId = await initiate(ecr, name);
        const layers = [randomLayer(256 * 1024), randomLayer(256 * 1024)];
        const outcomes = await Promise.allSettled(
          layers.map((layer) => uploadPart(ecr, name, uploadId, 0, layer.bytes)),
        );
        const accepted = outcomes.flatMap((o, i) =>
          o.status === 'fulfilled' ? [{ answer: o.value, layer: layers[i]! }] : [],
        );
        const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
        expect(accepted, `round ${round}`).toHaveLength(1);
        expect(accepted[0]!.answer.lastByteReceived).toBe(256 * 1024 - 1);
        expect(refused[0]).toBeInstanceOf(InvalidLayerPartException);
        // Refused either while the other part held the upload, or after it was recorded.
        expect([-1, 256 * 1024 - 1]).toContain((refused[0] as InvalidLayerPartException).lastValidByteReceived);

        // The accepted part alone is the layer: nothing of the refused one leaked into it.
        const digest = accepted[0]!.layer.digest;
        const completed = await ecr.send(
          new CompleteLayerUploadCommand({ repositoryName: name, uploadId, layerDigests: [digest] }),
        );
        expect(completed.layerDigest).toBe(digest);
      }
    });

    it.each([
      ['a small part (recorded with its CRC32C)', 64 * 1024],
      ['a large part (recorded with a boot mark: its stored bytes are compared)', 1024 * 1024 + 7],
    ])(
      'not for the replay of %s already recorded (a retry whose answer was lost): it is accepted again',
      async (_, size) => {
        const name = await createRepository(ecr);
        const uploadId = await initiate(ecr, name);
        const layer = randomLayer(size);
        const first = await uploadPart(ecr, name, uploadId, 0, layer.bytes);
        const replay = await uploadPart(ecr, name, uploadId, 0, layer.bytes);
        expect(replay.lastByteReceived).toBe(first.lastByteReceived);
        // Other bytes for the recorded range are still refused, naming where to resume.
        const other = await rejectionOf(
          uploadPart(ecr, name, uploadId, 0, randomBytes(size)),
          InvalidLayerPartException,
        );
        expect(other.lastValidByteReceived).toBe(size - 1);
        const completed = await ecr.send(
          new CompleteLayerUploadCommand({ repositoryName: name, uploadId, layerDigests: [layer.digest] }),
        );
        expect(completed.layerDigest).toBe(layer.digest);
      },
    );
  });

  describe('UploadNotFoundException', () => {
    it('for an upload id that was never issued', async () => {
      const name = await createRepository(ecr);
      const uploadId = randomUUID();
      const part = await rejectionOf(uploadPart(ecr, name, uploadId, 0, randomBytes(10)), UploadNotFoundException);
      expect(httpStatusOf(part)).toBe(400);
      expect(part.message).toContain(uploadId);
      const complete = await rejectionOf(
        ecr.send(
          new CompleteLayerUploadCommand({
            repositoryName: name,
            uploadId,
            layerDigests: [digestOf(Buffer.from('x'))],
          }),
        ),
        UploadNotFoundException,
      );
      expect(httpStatusOf(complete)).toBe(400);
    });

    it('for an upload id used under another repository than the one it was issued for', async () => {
      const owner = await createRepository(ecr);
      const other = await createRepository(ecr);
      const uploadId = await initiate(ecr, owner);
      const layer = randomLayer(100);
      await rejectionOf(uploadPart(ecr, other, uploadId, 0, layer.bytes), UploadNotFoundException);

      await uploadPart(ecr, owner, uploadId, 0, layer.bytes);
      const err = await rejectionOf(
        ecr.send(new CompleteLayerUploadCommand({ repositoryName: other, uploadId, layerDigests: [layer.digest] })),
        UploadNotFoundException,
      );
      expect(httpStatusOf(err)).toBe(400);
      // The owner's upload is untouched by the misdirected calls.
      const completed = await ecr.send(
        new CompleteLayerUploadCommand({ repositoryName: owner, uploadId, layerDigests: [layer.digest] }),
      );
      expect(completed.layerDigest).toBe(layer.digest);
    });
  });

  describe('RepositoryNotFoundException', () => {
    const unknown = 'errors/never-created';
    const digest = digestOf(Buffer.from('nothing'));
    const calls: [string, (ecr: ECRClient) => Promise<unknown>][] = [
      ['DescribeRepositories', (c) => c.send(new DescribeRepositoriesCommand({ repositoryNames: [unknown] }))],
      ['DeleteRepository', (c) => c.send(new DeleteRepositoryCommand({ repositoryName: unknown }))],
      ['InitiateLayerUpload', (c) => c.send(new InitiateLayerUploadCommand({ repositoryName: unknown }))],
      ['UploadLayerPart', (c) => uploadPart(c, unknown, randomUUID(), 0, randomBytes(10))],
      [
        'CompleteLayerUpload',
        (c) =>
          c.send(
            new CompleteLayerUploadCommand({ repositoryName: unknown, uploadId: randomUUID(), layerDigests: [digest] }),
          ),
      ],
      [
        'BatchCheckLayerAvailability',
        (c) => c.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: unknown, layerDigests: [digest] })),
      ],
      [
        'GetDownloadUrlForLayer',
        (c) => c.send(new GetDownloadUrlForLayerCommand({ repositoryName: unknown, layerDigest: digest })),
      ],
    ];

    it.each(calls)('from %s on a repository that does not exist', async (_operation, call) => {
      const err = await rejectionOf(call(ecr), RepositoryNotFoundException);
      expect(httpStatusOf(err)).toBe(400);
      expect(err.message).toContain(unknown);
    });
  });

  it('RepositoryAlreadyExistsException when the name is taken', async () => {
    const name = await createRepository(ecr);
    const err = await rejectionOf(
      ecr.send(new CreateRepositoryCommand({ repositoryName: name })),
      RepositoryAlreadyExistsException,
    );
    expect(httpStatusOf(err)).toBe(400);
    expect(err.message).toContain(name);
  });

  it('RepositoryNotEmptyException when deleting a repository with a layer without force; force deletes it', async () => {
    const name = await createRepository(ecr);
    const layer = randomLayer(3000);
    await pushLayer(ecr, name, layer);

    const err = await rejectionOf(
      ecr.send(new DeleteRepositoryCommand({ repositoryName: name })),
      RepositoryNotEmptyException,
    );
    expect(httpStatusOf(err)).toBe(400);
    const stillThere = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: name, layerDigests: [layer.digest] }),
    );
    expect(stillThere.layers).toEqual([{ layerDigest: layer.digest, layerAvailability: 'AVAILABLE', layerSize: 3000 }]);

    const deleted = await ecr.send(new DeleteRepositoryCommand({ repositoryName: name, force: true }));
    expect(deleted.repository?.repositoryName).toBe(name);
    await rejectionOf(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })),
      RepositoryNotFoundException,
    );
  });

  it('EmptyUploadException when completing an upload that received no part', async () => {
    const name = await createRepository(ecr);
    const uploadId = await initiate(ecr, name);
    const err = await rejectionOf(
      ecr.send(
        new CompleteLayerUploadCommand({ repositoryName: name, uploadId, layerDigests: [digestOf(Buffer.alloc(0))] }),
      ),
      EmptyUploadException,
    );
    expect(httpStatusOf(err)).toBe(400);
  });

  it('an upload refused as empty takes a part and completes at the first attempt (its finalize job id is free again)', async () => {
    const name = await createRepository(ecr);
    const layer = randomLayer(MIN_PART_SIZE * 3);
    const uploadId = await initiate(ecr, name);
    const complete = () =>
      ecr.send(new CompleteLayerUploadCommand({ repositoryName: name, uploadId, layerDigests: [layer.digest] }));
    await rejectionOf(complete(), EmptyUploadException);
    await uploadPart(ecr, name, uploadId, 0, layer.bytes);
    const completed = await complete();
    expect(completed.layerDigest).toBe(layer.digest);
    expect(completed.$metadata.attempts, 'answered without a retry of the SDK').toBe(1);
  });

  it('LayerPartTooSmallException when a part other than the last is under the minimum size', async () => {
    const name = await createRepository(ecr);
    const layer = randomLayer(MIN_PART_SIZE - 1 + MIN_PART_SIZE * 2);
    const uploadId = await initiate(ecr, name);
    await uploadPart(ecr, name, uploadId, 0, layer.bytes.subarray(0, MIN_PART_SIZE - 1));
    await uploadPart(ecr, name, uploadId, MIN_PART_SIZE - 1, layer.bytes.subarray(MIN_PART_SIZE - 1));
    const complete = () =>
      ecr.send(new CompleteLayerUploadCommand({ repositoryName: name, uploadId, layerDigests: [layer.digest] }));
    const err = await rejectionOf(complete(), LayerPartTooSmallException);
    expect(httpStatusOf(err)).toBe(400);
    expect(err.message).toContain(String(MIN_PART_SIZE));
    // The upload can never complete now: a retry hears the same, and its bytes are gone.
    await rejectionOf(complete(), LayerPartTooSmallException);
    expect(await longshore.storage.storedUploads()).not.toContain(uploadId);
  });

  it('InvalidLayerException when none of the digests given matches the layer', async () => {
    const name = await createRepository(ecr);
    const layer = randomLayer(5000);
    const uploadId = await initiate(ecr, name);
    await uploadPart(ecr, name, uploadId, 0, layer.bytes);
    const wrong = [digestOf(randomBytes(10)), digestOf(randomBytes(10))];
    const err = await rejectionOf(
      ecr.send(new CompleteLayerUploadCommand({ repositoryName: name, uploadId, layerDigests: wrong })),
      InvalidLayerException,
    );
    expect(httpStatusOf(err)).toBe(400);
    const check = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: name, layerDigests: [layer.digest] }),
    );
    expect(check.failures?.map((f) => f.failureCode)).toEqual(['MissingLayerDigest']);
    expect(await longshore.storage.storedUploads()).not.toContain(uploadId);
  });

  it('LayerAlreadyExistsException when the same layer is pushed to the repository again', async () => {
    const name = await createRepository(ecr);
    const layer = randomLayer(4000);
    await pushLayer(ecr, name, layer);
    const uploadId = await uploadParts(ecr, name, layer.bytes, 4000);
    const complete = () =>
      ecr.send(new CompleteLayerUploadCommand({ repositoryName: name, uploadId, layerDigests: [layer.digest] }));
    const err = await rejectionOf(complete(), LayerAlreadyExistsException);
    expect(httpStatusOf(err)).toBe(400);
    expect(err.message).toContain(layer.digest);
    // The second upload is over: a retry hears the same, and its bytes are not kept.
    await rejectionOf(complete(), LayerAlreadyExistsException);
    expect(await longshore.storage.storedUploads()).not.toContain(uploadId);
  });

  it('BatchCheckLayerAvailability reports MissingLayerDigest and InvalidLayerDigest per item, next to an available layer', async () => {
    const name = await createRepository(ecr);
    const layer = randomLayer(1234);
    await pushLayer(ecr, name, layer);
    const missing = digestOf(randomBytes(10));
    const malformed = 'sha256:not-a-hex-digest';
    const { layers, failures } = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({
        repositoryName: name,
        layerDigests: [missing, layer.digest, malformed],
      }),
    );
    expect(layers).toEqual([{ layerDigest: layer.digest, layerAvailability: 'AVAILABLE', layerSize: 1234 }]);
    expect(failures).toEqual([
      { layerDigest: missing, failureCode: 'MissingLayerDigest', failureReason: expect.any(String) },
      { layerDigest: malformed, failureCode: 'InvalidLayerDigest', failureReason: expect.any(String) },
    ]);
  });

  it('LayersNotFoundException from GetDownloadUrlForLayer for a layer the repository does not hold', async () => {
    const name = await createRepository(ecr);
    const digest = digestOf(randomBytes(10));
    const err = await rejectionOf(
      ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: name, layerDigest: digest })),
      LayersNotFoundException,
    );
    expect(httpStatusOf(err)).toBe(400);
    expect(err.message).toContain(digest);
  });

  describe('InvalidParameterException for input the ECR model does not allow', () => {
    const cases: [string, (ecr: ECRClient, name: string) => Promise<unknown>, RegExp][] = [
      [
        'a repository name with capitals and underscores',
        (c) => c.send(new CreateRepositoryCommand({ repositoryName: 'Bad_Name' })),
        /repositoryName/,
      ],
      [
        'a registryId that is not 12 digits',
        (c, name) => c.send(new DescribeRepositoriesCommand({ registryId: '12345', repositoryNames: [name] })),
        /registryId/,
      ],
      [
        'a registryId other than the one served',
        (c, name) => c.send(new InitiateLayerUploadCommand({ registryId: '123456789012', repositoryName: name })),
        /registryId.*000000000000/,
      ],
      [
        'an uploadId that is not a UUID',
        (c, name) => uploadPart(c, name, 'not-a-uuid', 0, randomBytes(10)),
        /uploadId/,
      ],
      [
        'an empty layerDigests list',
        (c, name) =>
          c.send(new CompleteLayerUploadCommand({ repositoryName: name, uploadId: randomUUID(), layerDigests: [] })),
        /layerDigests/,
      ],
    ];

    it.each(cases)('for %s', async (_case, call, message) => {
      const name = await createRepository(ecr);
      const err = await rejectionOf(call(ecr, name), InvalidParameterException);
      expect(httpStatusOf(err)).toBe(400);
      expect(err.message).toMatch(message);
    });
  });

  describe('protocol errors, on the wire', () => {
    async function post(headers: Record<string, string>, body: string) {
      const response = await longshore.fetch('/', {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', ...headers },
        body,
      });
      return { response, body: (await response.json()) as Record<string, unknown> };
    }

    function expectAwsJsonError(
      { response, body }: Awaited<ReturnType<typeof post>>,
      type: string,
      message: RegExp,
    ): void {
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/x-amz-json-1\.1/);
      expect(response.headers.get('x-amzn-errortype')).toBe(type);
      expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.__type).toBe(type);
      expect(body.message).toMatch(message);
    }

    it('UnknownOperationException for an operation ECR does not have', async () => {
      const answer = await post({ 'x-amz-target': `${TARGET_PREFIX}PushEverything` }, '{}');
      expectAwsJsonError(answer, 'UnknownOperationException', /PushEverything/);
    });

    it('UnknownOperationException without an X-Amz-Target header', async () => {
      expectAwsJsonError(await post({}, '{}'), 'UnknownOperationException', /X-Amz-Target/);
    });

    it('SerializationException for a body that is not JSON', async () => {
      const answer = await post({ 'x-amz-target': `${TARGET_PREFIX}DescribeRepositories` }, '{"repositoryNames": [');
      expectAwsJsonError(answer, 'SerializationException', /JSON/);
    });

    it('SerializationException for a field of the wrong JSON type', async () => {
      const name = await createRepository(ecr);
      const uploadId = await initiate(ecr, name);
      const answer = await post(
        { 'x-amz-target': `${TARGET_PREFIX}UploadLayerPart` },
        JSON.stringify({
          repositoryName: name,
          uploadId,
          partFirstByte: '0',
          partLastByte: 9,
          layerPartBlob: randomBytes(10).toString('base64'),
        }),
      );
      expectAwsJsonError(answer, 'SerializationException', /partFirstByte/);
    });
  });
});

describe('LimitExceededException, with small limits', () => {
  const MAX_PARTS = 3;
  const MAX_LAYER_SIZE = 10_000;
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore({
      env: { MIN_PART_SIZE: '100', MAX_PARTS: String(MAX_PARTS), MAX_LAYER_SIZE: String(MAX_LAYER_SIZE) },
    });
  });
  afterAll(() => longshore?.close());

  it('for a part beyond the most parts an upload may have', async () => {
    const { ecr } = longshore;
    const name = await createRepository(ecr);
    const uploadId = await initiate(ecr, name);
    for (let i = 0; i < MAX_PARTS; i++) await uploadPart(ecr, name, uploadId, i * 100, randomBytes(100));
    const err = await rejectionOf(
      uploadPart(ecr, name, uploadId, MAX_PARTS * 100, randomBytes(100)),
      LimitExceededException,
    );
    expect(httpStatusOf(err)).toBe(400);
    expect(err.message).toContain(String(MAX_PARTS));
  });

  it('for a part that would make the layer larger than the largest allowed', async () => {
    const { ecr } = longshore;
    const name = await createRepository(ecr);
    const uploadId = await initiate(ecr, name);
    await uploadPart(ecr, name, uploadId, 0, randomBytes(MAX_LAYER_SIZE - 100));
    const err = await rejectionOf(
      uploadPart(ecr, name, uploadId, MAX_LAYER_SIZE - 100, randomBytes(101)),
      LimitExceededException,
    );
    expect(httpStatusOf(err)).toBe(400);
    expect(err.message).toContain(String(MAX_LAYER_SIZE));
    // Up to the limit exactly is fine.
    const { lastByteReceived } = await uploadPart(ecr, name, uploadId, MAX_LAYER_SIZE - 100, randomBytes(100));
    expect(lastByteReceived).toBe(MAX_LAYER_SIZE - 1);
  });
});
