import { InvalidLayerPartException, RefusedError, type RefusalCode } from '@longshore/domain';
import { describe, expect, it } from 'vitest';
import { uploadRefusal, worded } from './upload-refusals.js';

const REF = {
  uploadId: 'a0b1c2d3-0000-4000-8000-000000000000',
  repositoryName: 'team/app',
  registryId: '000000000000',
};

describe('upload refusals', () => {
  it('words every code the upload store answers as the ECR exception it stands for', () => {
    const names: Partial<Record<RefusalCode, string>> = {
      REPOSITORY_NOT_FOUND: 'RepositoryNotFoundException',
      UPLOAD_NOT_FOUND: 'UploadNotFoundException',
      NOT_UPLOADING: 'UploadNotFoundException',
      PART_TOO_LARGE: 'InvalidParameterException',
      BAD_LENGTH: 'InvalidLayerPartException',
      OUT_OF_ORDER: 'InvalidLayerPartException',
      SUPERSEDED: 'InvalidLayerPartException',
      TOO_MANY_PARTS: 'LimitExceededException',
      LAYER_TOO_LARGE: 'LimitExceededException',
      EMPTY: 'EmptyUploadException',
      PART_TOO_SMALL: 'LayerPartTooSmallException',
      LAYER_EXISTS: 'LayerAlreadyExistsException',
    };
    for (const [code, name] of Object.entries(names)) {
      expect(uploadRefusal(code as RefusalCode, REF).name).toBe(name);
    }
  });

  it('carries the facts: the last valid byte of a refused part, the limit, the digest', () => {
    const part = worded(new RefusedError('OUT_OF_ORDER', { bytesReceived: 100 }), REF);
    expect(part).toBeInstanceOf(InvalidLayerPartException);
    expect((part as InvalidLayerPartException).fields).toEqual({ ...REF, lastValidByteReceived: 99 });
    expect((part as Error).message).toBe('The part must start at byte 100 (the next byte of the layer)');
    expect(uploadRefusal('PART_TOO_SMALL', REF, { limit: 5_242_880 }).message).toContain('5242880');
    expect(uploadRefusal('LAYER_EXISTS', REF, { layerDigest: 'sha256:ab' }).message).toContain("'sha256:ab'");
    expect(uploadRefusal('NOT_UPLOADING', REF, { status: 'queued' }).message).toContain('(queued)');
  });

  it('leaves every other error as it is', () => {
    const other = new Error('connection lost');
    expect(worded(other, REF)).toBe(other);
  });
});
