import { describe, expect, it } from 'vitest';
import { ecrErrorNames } from '../errors/ecr-errors.js';
import { ociAnswer, wireEntry, wireTable } from './wire-table.js';

const specCodes = new Set([
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
]);

describe('wire table', () => {
  it('has an entry for every ECR exception', () => {
    for (const name of ecrErrorNames) expect(wireTable[name], name).toBeDefined();
  });

  it('gives every 4xx OCI answer a code from the spec list, except RANGE_INVALID for 416', () => {
    for (const [name, entry] of Object.entries(wireTable)) {
      for (const answer of [entry.oci, ...Object.values(entry.oci.on ?? {})]) {
        if (answer.status >= 500) continue;
        if (answer.status === 416) expect(answer.code, name).toBe('RANGE_INVALID');
        else expect(specCodes.has(answer.code), `${name}: ${answer.code}`).toBe(true);
      }
    }
  });

  it('maps a missing layer by route family, not by message', () => {
    expect(ociAnswer('LayersNotFoundException', 'blob')).toEqual({ code: 'BLOB_UNKNOWN', status: 404 });
    expect(ociAnswer('LayersNotFoundException', 'manifest')).toEqual({ code: 'MANIFEST_BLOB_UNKNOWN', status: 404 });
    expect(ociAnswer('InvalidParameterException', 'manifest')).toEqual({ code: 'MANIFEST_INVALID', status: 400 });
    expect(ociAnswer('UploadNotFoundException', 'upload')).toEqual({ code: 'BLOB_UPLOAD_UNKNOWN', status: 404 });
    expect(ociAnswer('RepositoryNotFoundException', 'tags')).toEqual({ code: 'NAME_UNKNOWN', status: 404 });
  });

  it('answers a busy store as retryable on every wire: 503, ECR ThrottlingException', () => {
    expect(wireEntry('StorageBusyError')).toMatchObject({
      ecrStatus: 503,
      httpStatus: 503,
      ecrType: 'ThrottlingException',
    });
    expect(ociAnswer('StorageBusyError', 'upload')).toEqual({ code: 'UNAVAILABLE', status: 503 });
  });

  it('answers an unknown name as a server error on every wire', () => {
    expect(wireEntry('NoSuchError')).toBe(wireTable.ServerException);
    expect(ociAnswer('NoSuchError', 'blob')).toEqual({ code: 'UNKNOWN', status: 500 });
  });
});
