import { describe, expect, it } from 'vitest';
import { anchorPattern, modelToJsonSchema, unanchorPattern } from './model-to-json-schema.js';

describe('modelToJsonSchema', () => {
  it('turns a structure into an object that tolerates unknown members, with shapes as $defs', () => {
    const schema = modelToJsonSchema('UploadLayerPartRequest');
    expect(schema).toMatchObject({
      type: 'object',
      required: ['repositoryName', 'uploadId', 'partFirstByte', 'partLastByte', 'layerPartBlob'],
      additionalProperties: true,
      properties: { partFirstByte: { $ref: '#/$defs/PartSize' }, layerPartBlob: { $ref: '#/$defs/LayerPartBlob' } },
    });
    expect(schema.$defs?.RegistryId).toEqual({ type: 'string', pattern: '^(?:[0-9]{12})$' });
    expect(schema.$defs?.PartSize).toEqual({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
    expect(schema.$defs?.LayerPartBlob).toEqual({ type: 'string', base64Blob: { minBytes: 0, maxBytes: 20971520 } });
  });

  it('maps lists, bounded strings, enums, 32-bit integers and booleans', () => {
    const create = modelToJsonSchema('CreateRepositoryRequest');
    expect(create.$defs?.TagList).toEqual({ type: 'array', items: { $ref: '#/$defs/Tag' } });
    expect(create.$defs?.KmsKey).toEqual({ type: 'string', minLength: 1, maxLength: 2048 });
    expect(create.$defs?.EncryptionType).toEqual({ type: 'string', enum: ['AES256', 'KMS', 'KMS_DSSE'] });
    expect(create.$defs?.ScanOnPushFlag).toEqual({ type: 'boolean' });
    const describe = modelToJsonSchema('DescribeRepositoriesRequest');
    expect(describe.$defs?.MaxResults).toEqual({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(describe.$defs?.RepositoryNameList).toMatchObject({ type: 'array', minItems: 1, maxItems: 100 });
  });

  it('leaves out omitted members from properties and required', () => {
    const schema = modelToJsonSchema('CompleteLayerUploadRequest', { omitMembers: ['uploadId'] });
    expect(schema.required).toEqual(['repositoryName', 'layerDigests']);
    expect(Object.keys(schema.properties ?? {})).toEqual(['registryId', 'repositoryName', 'layerDigests']);
  });

  it('anchors patterns and recovers the model pattern for messages', () => {
    expect(anchorPattern('[0-9]{12}')).toBe('^(?:[0-9]{12})$');
    expect(unanchorPattern(anchorPattern('a|b'))).toBe('a|b');
    expect(new RegExp(anchorPattern('a|b')).test('ab')).toBe(false);
  });

  it("compiles the model's `\\-` outside a character class in unicode mode, as a plain '-'", () => {
    const credentialArn = String.raw`^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr\-pullthroughcache\/[a-zA-Z0-9\/_+=.@-]+$`;
    expect(() => new RegExp(credentialArn, 'u')).toThrow();
    const compiled = new RegExp(anchorPattern(credentialArn), 'u');
    expect(compiled.test('arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub')).toBe(true);
    expect(compiled.test('arn:aws:secretsmanager:us-east-1:123456789012:secret:ecrXpullthroughcache/hub')).toBe(false);
    expect(anchorPattern('[a\\-z]')).toBe('^(?:[a\\-z])$');
  });
});
