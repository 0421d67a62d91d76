import { describe, expect, it } from 'vitest';
import { LongshoreError } from '../errors/longshore-error.js';
import type { RefusalCode } from '../errors/refusal.js';
import { readRefusalRecord, refusalCodes, wordRefusal } from './refusal-wording.js';
import { toStatusDocument } from '../uploads/upload-rules.js';
import { ociAnswer, wireEntry } from './wire-table.js';

const REPO = { repositoryName: 'team/app', registryId: '000000000000' };

describe('refusal wording', () => {
  it('words every code as a domain error the wire table answers on every wire', () => {
    expect(refusalCodes.length).toBeGreaterThan(20);
    for (const code of refusalCodes) {
      const error = wordRefusal(code, REPO);
      expect(error, code).toBeInstanceOf(LongshoreError);
      expect(wireEntry(error.name).code, code).toMatch(/^[A-Z_]+$/);
    }
  });

  it('answers the stores’ and the worker’s codes as the same exceptions and wire codes as before', () => {
    const expected: Partial<Record<RefusalCode, [string, string, string]>> = {
      REPOSITORY_NOT_FOUND: ['RepositoryNotFoundException', 'REPOSITORY_NOT_FOUND', 'NAME_UNKNOWN'],
      REPOSITORY_ALREADY_EXISTS: ['RepositoryAlreadyExistsException', 'REPOSITORY_ALREADY_EXISTS', 'UNSUPPORTED'],
      REPOSITORY_NOT_EMPTY: ['RepositoryNotEmptyException', 'REPOSITORY_NOT_EMPTY', 'UNSUPPORTED'],
      LAYER_EXISTS: ['LayerAlreadyExistsException', 'LAYER_ALREADY_EXISTS', 'BLOB_UPLOAD_INVALID'],
      DIGEST_NOT_NAMED: ['InvalidLayerException', 'INVALID_LAYER', 'DIGEST_INVALID'],
      LAYER_HASH_MISMATCH: ['InvalidLayerException', 'INVALID_LAYER', 'DIGEST_INVALID'],
      LAYER_DATA_MISSING: ['InvalidLayerException', 'INVALID_LAYER', 'DIGEST_INVALID'],
      FINALIZE_FAILED: ['ServerException', 'INTERNAL_ERROR', 'UNKNOWN'],
    };
    for (const [code, [name, v1, oci]] of Object.entries(expected)) {
      const error = wordRefusal(code as RefusalCode, REPO);
      expect([error.name, wireEntry(error.name).code, ociAnswer(error.name, 'blob').code], code).toEqual([
        name,
        v1,
        oci,
      ]);
    }
  });

  it('puts the facts into the words', () => {
    expect(wordRefusal('REPOSITORY_NOT_FOUND', REPO).message).toBe(
      "The repository with name 'team/app' does not exist in the registry with id '000000000000'",
    );
    const digest = `sha256:${'b'.repeat(64)}`;
    expect(wordRefusal('DIGEST_NOT_NAMED', { layerDigest: digest, digests: ['sha256:aa', 'sha256:cc'] }).message).toBe(
      `The layer's digest is ${digest}, which matches none of the digests given: sha256:aa, sha256:cc`,
    );
    expect(wordRefusal('PART_CHECKSUM_MISMATCH', { offset: 10, length: 5 }).message).toContain('bytes 10-14');
    expect(wordRefusal('PART_CHECKSUM_MISMATCH', { partNumber: 3 }).message).toContain('number 3');
  });

  it('words a failed upload’s recorded code in its status document', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const document = toStatusDocument({
      uploadId: 'a0b1c2d3-0000-4000-8000-000000000000',
      ...REPO,
      status: 'failed',
      bytesReceived: 5,
      partsReceived: 1,
      error: { code: 'LAYER_EXISTS', facts: { layerDigest: digest } },
      createdAt: 0,
      updatedAt: 0,
    });
    expect(document.error).toEqual({
      code: 'LAYER_ALREADY_EXISTS',
      name: 'LayerAlreadyExistsException',
      message: `The layer '${digest}' already exists in the repository with name 'team/app' in registry with id '000000000000'`,
    });
  });

  it('reads a stored refusal back, and a record it cannot word (an older version’s, a code unknown, not JSON) as FINALIZE_FAILED', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    expect(readRefusalRecord(JSON.stringify({ code: 'LAYER_EXISTS', facts: { layerDigest: digest } }))).toEqual({
      code: 'LAYER_EXISTS',
      facts: { layerDigest: digest },
    });
    expect(readRefusalRecord(JSON.stringify({ code: 'EMPTY' }))).toEqual({ code: 'EMPTY', facts: {} });
    const older = JSON.stringify({ name: 'InvalidLayerException', message: 'The layer digest does not match' });
    expect(readRefusalRecord(older)).toEqual({ code: 'FINALIZE_FAILED' });
    expect(readRefusalRecord(JSON.stringify({ code: 'toString' }))).toEqual({ code: 'FINALIZE_FAILED' });
    expect(readRefusalRecord('not json')).toEqual({ code: 'FINALIZE_FAILED' });
    expect(wordRefusal(readRefusalRecord(older).code).name).toBe('ServerException');
  });
});
