import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { RefusedError } from '@longshore/domain';
import type { BlobLocation } from '@longshore/storage';
import { describe, expect, it } from 'vitest';
import { verifyPublishedBlob } from './verify-published-blob.js';

/** A store holding one blob's bytes, served in small chunks, that records deletions. */
function storeWith(bytes: Buffer) {
  const deleted: BlobLocation[] = [];
  return {
    deleted,
    storage: {
      blobReader: async () => Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]),
      deleteBlob: async (location: BlobLocation) => {
        deleted.push(location);
      },
    },
  };
}

const bytes = Buffer.from('the published layer');
const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const location: BlobLocation = 'blobs/u1';

describe('verifyPublishedBlob', () => {
  it('accepts a blob whose bytes are the digest and size, and keeps it', async () => {
    const { storage, deleted } = storeWith(bytes);
    await verifyPublishedBlob(storage, location, digest, bytes.length);
    expect(deleted).toEqual([]);
  });

  it('rejects a blob with other bytes as an invalid layer and deletes it', async () => {
    const { storage, deleted } = storeWith(Buffer.from('the publishes layer'));
    await expect(verifyPublishedBlob(storage, location, digest, bytes.length)).rejects.toMatchObject({
      constructor: RefusedError,
      code: 'PUBLISHED_BLOB_MISMATCH',
    });
    expect(deleted).toEqual([location]);
  });

  it('rejects a blob of another size', async () => {
    const { storage, deleted } = storeWith(bytes);
    await expect(verifyPublishedBlob(storage, location, digest, bytes.length + 1)).rejects.toMatchObject({
      code: 'PUBLISHED_BLOB_MISMATCH',
      facts: { size: bytes.length },
    });
    expect(deleted).toEqual([location]);
  });
});
