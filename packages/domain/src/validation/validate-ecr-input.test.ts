import { describe, expect, it } from 'vitest';
import { InvalidParameterException, SerializationException, UnknownOperationException } from '../errors/ecr-errors.js';
import { ecrApiModel } from './ecr-api-model.js';
import { servedOperations, type CompleteLayerUploadInput, type EcrOperation } from './ecr-inputs.js';
import { prepareEcrInputValidators, validateEcrInput } from './validate-ecr-input.js';
import { validateShape } from './validate-shape.js';
import { RequestValidationError } from './validation-error.js';

const uploadId = '0b0e1f52-6d1f-4e8c-9a43-bc0c8b9d5f10';
const digest = `sha256:${'ab'.repeat(32)}`;
const repositoryNamePattern = '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*';

function partBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    repositoryName: 'project-a/nginx-web-app',
    uploadId,
    partFirstByte: 0,
    partLastByte: 4,
    layerPartBlob: Buffer.from('hello').toString('base64'),
    ...overrides,
  };
}

/** The error `run` throws (fails the test when it throws nothing). */
function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a validation failure, but the input was accepted');
}

function invalidParameter(operation: EcrOperation, body: unknown): RequestValidationError {
  const error = thrownBy(() => validateEcrInput(operation, body));
  expect(error).toBeInstanceOf(RequestValidationError);
  expect(error).toBeInstanceOf(InvalidParameterException);
  expect(error.name).toBe('InvalidParameterException');
  return error as RequestValidationError;
}

function serialization(operation: EcrOperation, body: unknown): SerializationException {
  const error = thrownBy(() => validateEcrInput(operation, body));
  expect(error).toBeInstanceOf(SerializationException);
  expect(error.name).toBe('SerializationException');
  return error as SerializationException;
}

describe('validateEcrInput: valid requests', () => {
  it('serves exactly the operations whose input shapes are in the model', () => {
    expect(servedOperations).toHaveLength(28);
    for (const operation of servedOperations) {
      expect(ecrApiModel.operations[operation]?.input?.shape).toBe(`${operation}Request`);
    }
  });

  it('accepts a minimal request of every served operation', () => {
    const repositoryName = 'nginx-web-app';
    const bodies: Record<EcrOperation, Record<string, unknown>> = {
      CreateRepository: { repositoryName },
      DescribeRepositories: {},
      DeleteRepository: { repositoryName },
      InitiateLayerUpload: { repositoryName },
      UploadLayerPart: partBody(),
      CompleteLayerUpload: { repositoryName, uploadId, layerDigests: [digest] },
      BatchCheckLayerAvailability: { repositoryName, layerDigests: [digest] },
      GetDownloadUrlForLayer: { repositoryName, layerDigest: digest },
      GetAuthorizationToken: {},
      PutImage: { repositoryName, imageManifest: '{}' },
      BatchGetImage: { repositoryName, imageIds: [{ imageTag: 'latest' }] },
      BatchDeleteImage: { repositoryName, imageIds: [{ imageDigest: digest }] },
      DescribeImages: { repositoryName },
      ListImages: { repositoryName },
      PutImageTagMutability: { repositoryName, imageTagMutability: 'IMMUTABLE' },
      CreatePullThroughCacheRule: { ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io' },
      DescribePullThroughCacheRules: {},
      UpdatePullThroughCacheRule: { ecrRepositoryPrefix: 'docker-hub' },
      DeletePullThroughCacheRule: { ecrRepositoryPrefix: 'docker-hub' },
      ValidatePullThroughCacheRule: { ecrRepositoryPrefix: 'docker-hub' },
      PutLifecyclePolicy: { repositoryName, lifecyclePolicyText: 'x'.repeat(100) },
      GetLifecyclePolicy: { repositoryName },
      DeleteLifecyclePolicy: { repositoryName },
      StartLifecyclePolicyPreview: { repositoryName },
      GetLifecyclePolicyPreview: { repositoryName },
      TagResource: { resourceArn: 'arn:aws:ecr:us-east-1:000000000000:repository/x', tags: [{ Key: 'k', Value: 'v' }] },
      UntagResource: { resourceArn: 'arn:aws:ecr:us-east-1:000000000000:repository/x', tagKeys: ['k'] },
      ListTagsForResource: { resourceArn: 'arn:aws:ecr:us-east-1:000000000000:repository/x' },
    };
    for (const operation of servedOperations) {
      expect(() => validateEcrInput(operation, bodies[operation]), operation).not.toThrow();
    }
  });

  it('returns a typed upload part with the blob decoded to its bytes', () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255, 10, 13]);
    const input = validateEcrInput(
      'UploadLayerPart',
      partBody({ registryId: '123456789012', partLastByte: 7, layerPartBlob: bytes.toString('base64') }),
    );
    expect(Buffer.isBuffer(input.layerPartBlob)).toBe(true);
    expect(input.layerPartBlob.equals(bytes)).toBe(true);
    expect(input.partFirstByte).toBe(0);
    expect(input.partLastByte).toBe(7);
    expect(input.registryId).toBe('123456789012');
    expect(input.uploadId).toBe(uploadId);
  });

  it('accepts an empty blob (the model allows 0 bytes)', () => {
    expect(validateEcrInput('UploadLayerPart', partBody({ layerPartBlob: '' })).layerPartBlob).toHaveLength(0);
  });

  it('drops unknown members, treats null members as absent, and leaves the body untouched', () => {
    const body = { repositoryName: 'nginx', registryId: null, force: true, somethingNew: { x: 1 } };
    const snapshot = structuredClone(body);
    const input = validateEcrInput('DeleteRepository', body);
    expect(input).toEqual({ repositoryName: 'nginx', force: true });
    expect(body).toEqual(snapshot);

    const part = partBody();
    const blob = part.layerPartBlob;
    validateEcrInput('UploadLayerPart', part);
    expect(part.layerPartBlob).toBe(blob);
  });

  it('accepts a full CreateRepository request with nested structures', () => {
    const input = validateEcrInput('CreateRepository', {
      registryId: '000000000000',
      repositoryName: 'team/app',
      tags: [{ Key: 'owner', Value: 'ci' }],
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest*' }],
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'alias/x' },
    });
    expect(input.tags).toEqual([{ Key: 'owner', Value: 'ci' }]);
    expect(input.encryptionConfiguration?.encryptionType).toBe('KMS');
  });
});

describe('validateEcrInput: SerializationException for bodies and values of the wrong JSON type', () => {
  it.each([null, [], 'text', 42, true, undefined])('rejects the body %j', (body) => {
    expect(serialization('InitiateLayerUpload', body).message).toMatch(/expected a JSON object/);
  });

  it('rejects a string where a long is modeled, naming the field', () => {
    expect(serialization('UploadLayerPart', partBody({ partFirstByte: '5' })).message).toBe(
      "Unexpected value type for 'partFirstByte': expected a number",
    );
  });

  it('rejects a fractional number where a long is modeled', () => {
    expect(serialization('UploadLayerPart', partBody({ partLastByte: 1.5 })).message).toBe(
      "Unexpected value type for 'partLastByte': expected an integer",
    );
  });

  it('rejects an object where a list is modeled', () => {
    const body = { repositoryName: 'nginx', uploadId, layerDigests: { 0: digest } };
    expect(serialization('CompleteLayerUpload', body).message).toBe(
      "Unexpected value type for 'layerDigests': expected an array",
    );
  });

  it('names a list element by its 1-based position', () => {
    const body = { repositoryName: 'nginx', layerDigests: [digest, 7] };
    expect(serialization('BatchCheckLayerAvailability', body).message).toBe(
      "Unexpected value type for 'layerDigests.2.member': expected a string",
    );
  });

  it('rejects a number where a string is modeled, a string where a boolean is, a list where a structure is', () => {
    expect(serialization('InitiateLayerUpload', { repositoryName: 12 }).message).toMatch(
      /'repositoryName': expected a string/,
    );
    expect(serialization('DeleteRepository', { repositoryName: 'nginx', force: 'true' }).message).toMatch(
      /'force': expected a boolean/,
    );
    expect(
      serialization('CreateRepository', { repositoryName: 'nginx', imageScanningConfiguration: [] }).message,
    ).toMatch(/'imageScanningConfiguration': expected an object/);
  });

  it('rejects a blob that is not a string', () => {
    expect(serialization('UploadLayerPart', partBody({ layerPartBlob: [1, 2] })).message).toMatch(
      /'layerPartBlob': expected a string/,
    );
  });

  it('reports the type error even when constraint errors are present too', () => {
    serialization('UploadLayerPart', partBody({ repositoryName: 'Bad_Name', partFirstByte: '5' }));
  });
});

describe('validateEcrInput: InvalidParameterException for model constraints', () => {
  it('quotes the value, the field and the model pattern, as AWS does', () => {
    const error = invalidParameter('InitiateLayerUpload', { repositoryName: 'Bad_Name' });
    expect(error.message).toBe(
      `1 validation error detected: Value 'Bad_Name' at 'repositoryName' failed to satisfy constraint: ` +
        `Member must satisfy regular expression pattern: ${repositoryNamePattern}`,
    );
    expect(error.field).toBe('repositoryName');
  });

  it('keeps the field out of the wire fields', () => {
    const error = invalidParameter('InitiateLayerUpload', { repositoryName: 'Bad_Name' });
    expect(error.fields).toEqual({});
    expect(error.name).toBe('InvalidParameterException');
  });

  it('reports a missing or null required member as null', () => {
    for (const body of [partBody({ uploadId: undefined }), partBody({ uploadId: null })]) {
      const error = invalidParameter('UploadLayerPart', body);
      expect(error.message).toBe(
        "1 validation error detected: Value null at 'uploadId' failed to satisfy constraint: Member must not be null",
      );
      expect(error.field).toBe('uploadId');
    }
  });

  it('counts and lists several errors, and names the first field', () => {
    const error = invalidParameter('CompleteLayerUpload', { repositoryName: 'a', uploadId: 'nope', layerDigests: [] });
    expect(error.message).toMatch(/^3 validation errors detected: /);
    expect(error.message.split('; ')).toHaveLength(3);
    expect(error.message).toContain(
      "Value 'a' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    expect(error.message).toContain("Value 'nope' at 'uploadId' failed to satisfy constraint");
    expect(error.message).toContain(
      "Value '[]' at 'layerDigests' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(error.field).toBe('repositoryName');
  });

  it('reports a negative part offset as a value constraint', () => {
    const error = invalidParameter('UploadLayerPart', partBody({ partFirstByte: -1 }));
    expect(error.message).toBe(
      "1 validation error detected: Value '-1' at 'partFirstByte' failed to satisfy constraint: " +
        'Member must have value greater than or equal to 0',
    );
    expect(error.field).toBe('partFirstByte');
  });

  it('requires longs to be safe integers', () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(validateEcrInput('UploadLayerPart', partBody({ partLastByte: max })).partLastByte).toBe(max);
    const error = invalidParameter('UploadLayerPart', partBody({ partLastByte: 2 ** 53 }));
    expect(error.message).toMatch(/Member must have value less than or equal to 9007199254740991$/);
    invalidParameter('UploadLayerPart', partBody({ partLastByte: 1e300 }));
  });

  it('enforces integer bounds and list sizes of DescribeRepositories', () => {
    expect(validateEcrInput('DescribeRepositories', { maxResults: 1000 }).maxResults).toBe(1000);
    expect(invalidParameter('DescribeRepositories', { maxResults: 0 }).field).toBe('maxResults');
    expect(invalidParameter('DescribeRepositories', { maxResults: 1001 }).field).toBe('maxResults');
    expect(invalidParameter('DescribeRepositories', { repositoryNames: [] }).field).toBe('repositoryNames');
    expect(invalidParameter('DescribeRepositories', { repositoryNames: ['ok', 'NOT'] }).field).toBe(
      'repositoryNames.2.member',
    );
  });

  it('checks enums and nested structures of CreateRepository', () => {
    const mutability = invalidParameter('CreateRepository', {
      repositoryName: 'nginx',
      imageTagMutability: 'SOMETIMES',
    });
    expect(mutability.message).toContain(
      "Value 'SOMETIMES' at 'imageTagMutability' failed to satisfy constraint: " +
        'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]',
    );
    const tag = invalidParameter('CreateRepository', { repositoryName: 'nginx', tags: [{ Key: 'owner' }] });
    expect(tag.field).toBe('tags.1.member.Value');
    expect(tag.message).toContain("Value null at 'tags.1.member.Value'");
    const encryption = invalidParameter('CreateRepository', {
      repositoryName: 'nginx',
      encryptionConfiguration: { encryptionType: 'ROT13' },
    });
    expect(encryption.field).toBe('encryptionConfiguration.encryptionType');
  });
});

describe('validateEcrInput: huge invalid requests', () => {
  it('reports a list far over its maximum without an error per element', () => {
    const layerDigests = Array<string>(1_000_000).fill('');
    const error = invalidParameter('CompleteLayerUpload', { repositoryName: 'nginx', uploadId, layerDigests });
    expect(error.field).toBe('layerDigests');
    expect(error.message).toMatch(/^102 validation errors detected: /);
    expect(error.message).toContain('Member must have length less than or equal to 100');
    expect(error.message.length).toBeLessThan(50_000);
  });

  it('still finds a violation deep in a list the model does not bound', () => {
    const tags = Array.from({ length: 500 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    tags[300] = { Value: 'v' } as { Key: string; Value: string };
    const error = invalidParameter('CreateRepository', { repositoryName: 'nginx', tags });
    expect(error.field).toBe('tags.301.member.Key');
    expect(error.message).toMatch(/^1 validation error detected: Value null at 'tags.301.member.Key'/);
  });

  it('reports a wrong type in a huge list as a SerializationException', () => {
    const tags = Array<number>(1_000_000).fill(1);
    expect(serialization('CreateRepository', { repositoryName: 'nginx', tags }).message).toBe(
      "Unexpected value type for 'tags.1.member': expected an object",
    );
  });
});

describe('repository names (the model pattern, anchored, 2 to 256 characters)', () => {
  const accepted = [
    'ab',
    'project-a/nginx-web-app',
    'nginx-web-app',
    'a.b_c--d',
    // The model's pattern allows a double underscore and one-character path components.
    'a__b',
    'a/b',
    '0abc',
    `a/${'b'.repeat(254)}`,
  ];
  const rejected = [
    'a',
    'Abc',
    'a..b',
    'a___b',
    '../etc',
    '/ab',
    'ab/',
    'a//b',
    '-ab',
    'ab-',
    'a b',
    'ab\n',
    'a'.repeat(257),
  ];

  it.each(accepted)('accepts %j', (repositoryName) => {
    expect(validateEcrInput('InitiateLayerUpload', { repositoryName }).repositoryName).toBe(repositoryName);
  });

  it.each(rejected)('rejects %j', (repositoryName) => {
    expect(invalidParameter('InitiateLayerUpload', { repositoryName }).field).toBe('repositoryName');
  });

  it('reports the length bounds for too short and too long names', () => {
    expect(invalidParameter('InitiateLayerUpload', { repositoryName: 'a' }).message).toMatch(
      /Member must have length greater than or equal to 2$/,
    );
    expect(invalidParameter('InitiateLayerUpload', { repositoryName: 'a'.repeat(257) }).message).toMatch(
      /Member must have length less than or equal to 256$/,
    );
  });
});

describe('registry ids and upload ids (full matches of the model patterns)', () => {
  it('accepts exactly 12 digits as a registry id', () => {
    expect(
      validateEcrInput('InitiateLayerUpload', { repositoryName: 'ab', registryId: '123456789012' }).registryId,
    ).toBe('123456789012');
  });

  it.each(['12345678901', '1234567890123', '12345678901a', 'abcdefghijkl', '', ' 123456789012'])(
    'rejects the registry id %j',
    (registryId) => {
      expect(invalidParameter('InitiateLayerUpload', { repositoryName: 'ab', registryId }).field).toBe('registryId');
    },
  );

  it.each([uploadId, uploadId.toUpperCase()])('accepts the upload id %s', (id) => {
    expect(validateEcrInput('UploadLayerPart', partBody({ uploadId: id })).uploadId).toBe(id);
  });

  it.each(['not-a-uuid', `${uploadId}0`, `x${uploadId}`, uploadId.replaceAll('-', ''), `${uploadId}/../x`])(
    'rejects the upload id %j',
    (id) => {
      expect(invalidParameter('UploadLayerPart', partBody({ uploadId: id })).field).toBe('uploadId');
    },
  );
});

describe('layer digests', () => {
  const completeBody = (layerDigests: unknown): Record<string, unknown> => ({
    repositoryName: 'nginx',
    uploadId,
    layerDigests,
  });

  it('bounds CompleteLayerUpload to 1..100 digests', () => {
    expect(validateEcrInput('CompleteLayerUpload', completeBody(Array(100).fill(digest))).layerDigests).toHaveLength(
      100,
    );
    expect(invalidParameter('CompleteLayerUpload', completeBody([])).field).toBe('layerDigests');
    const tooMany = invalidParameter('CompleteLayerUpload', completeBody(Array(101).fill(digest)));
    expect(tooMany.field).toBe('layerDigests');
    expect(tooMany.message).toMatch(/Member must have length less than or equal to 100$/);
  });

  it('pattern-checks CompleteLayerUpload digests', () => {
    for (const bad of ['sha256:', 'sha256:xyz', 'not-a-digest', `${digest}\n`, `${digest}/x`]) {
      expect(invalidParameter('CompleteLayerUpload', completeBody([digest, bad])).field).toBe('layerDigests.2.member');
    }
  });

  it('pattern-checks the GetDownloadUrlForLayer digest', () => {
    expect(invalidParameter('GetDownloadUrlForLayer', { repositoryName: 'nginx', layerDigest: 'sha256' }).field).toBe(
      'layerDigest',
    );
  });

  it('lets malformed BatchCheckLayerAvailability digests through (they are per-item failures)', () => {
    const layerDigests = ['not-a-digest', '', 'sha256:XYZ', '../../etc/passwd', digest];
    const input = validateEcrInput('BatchCheckLayerAvailability', { repositoryName: 'nginx', layerDigests });
    expect(input.layerDigests).toEqual(layerDigests);
  });

  it('still bounds BatchCheckLayerAvailability lists and digest lengths', () => {
    const body = (layerDigests: unknown): unknown => ({ repositoryName: 'nginx', layerDigests });
    expect(invalidParameter('BatchCheckLayerAvailability', body([])).field).toBe('layerDigests');
    expect(invalidParameter('BatchCheckLayerAvailability', body(Array(101).fill(digest))).field).toBe('layerDigests');
    expect(invalidParameter('BatchCheckLayerAvailability', body(['x'.repeat(1001)])).field).toBe(
      'layerDigests.1.member',
    );
    expect(() => validateEcrInput('BatchCheckLayerAvailability', body(['x'.repeat(1000)]))).not.toThrow();
  });
});

describe('layer part blobs', () => {
  const maxPart = 20_971_520;

  it('accepts a part of exactly 20971520 bytes and decodes it', () => {
    const bytes = Buffer.alloc(maxPart, 0xa5);
    const input = validateEcrInput('UploadLayerPart', partBody({ layerPartBlob: bytes.toString('base64') }));
    expect(input.layerPartBlob.length).toBe(maxPart);
    expect(input.layerPartBlob.equals(bytes)).toBe(true);
  });

  it('rejects a part of 20971521 bytes without quoting it', () => {
    const blob = Buffer.alloc(maxPart + 1, 0xa5).toString('base64');
    const error = invalidParameter('UploadLayerPart', partBody({ layerPartBlob: blob }));
    expect(error.message).toBe(
      "1 validation error detected: Value at 'layerPartBlob' failed to satisfy constraint: " +
        'Member must have length less than or equal to 20971520',
    );
    expect(error.field).toBe('layerPartBlob');
  });

  it.each(['!!!!', 'abc', 'QUJD QUJD', 'QUJDQUJD\n', 'AB-_', 'AA==AAAA', 'QQ===', '====', 'QUJ€', 'aGVsbG8'])(
    'rejects the non-base64 blob %j',
    (layerPartBlob) => {
      const error = invalidParameter('UploadLayerPart', partBody({ layerPartBlob }));
      expect(error.message).toMatch(
        /Value at 'layerPartBlob' failed to satisfy constraint: Member must be valid base64$/,
      );
      expect(error.field).toBe('layerPartBlob');
    },
  );
});

describe('validateEcrInput: operations', () => {
  it('rejects an operation this service does not serve', () => {
    const error = thrownBy(() => validateEcrInput('SetRepositoryPolicy' as EcrOperation, { repositoryName: 'ab' }));
    expect(error).toBeInstanceOf(UnknownOperationException);
  });
});

describe('validateShape', () => {
  it('validates a request shape minus members the caller takes elsewhere', () => {
    const body = { repositoryName: 'nginx', uploadId: 'ignored', layerDigests: [digest] };
    const input = validateShape<Omit<CompleteLayerUploadInput, 'uploadId'>>('CompleteLayerUploadRequest', body, {
      omitMembers: ['uploadId'],
    });
    expect(input).toEqual({ repositoryName: 'nginx', layerDigests: [digest] });
    // The full shape still requires (and checks) uploadId.
    expect(() => validateShape('CompleteLayerUploadRequest', body)).toThrow(RequestValidationError);
  });

  it('throws a plain Error for a shape the model does not define', () => {
    expect(() => validateShape('NoSuchShape', {})).toThrow(/no shape named 'NoSuchShape'/);
  });
});

describe('prepareEcrInputValidators', () => {
  it('compiles the validators of served operations ahead of their first request, which then validate as before', () => {
    prepareEcrInputValidators(['InitiateLayerUpload', 'CompleteLayerUpload']);
    const input = validateEcrInput('CompleteLayerUpload', { repositoryName: 'app', uploadId, layerDigests: [digest] });
    expect(input.layerDigests).toEqual([digest]);
    // A rejection still lists its violations (that validator is compiled on the first rejection).
    expect(() => validateEcrInput('CompleteLayerUpload', { repositoryName: 'App!', uploadId })).toThrow(
      InvalidParameterException,
    );
  });

  it('refuses an operation this service does not serve', () => {
    expect(() => prepareEcrInputValidators(['NoSuchOperation' as EcrOperation])).toThrow(UnknownOperationException);
  });
});
