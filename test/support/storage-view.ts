import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Config } from '@longshore/config';
import { createFilesystemDriver, type StorageDriver } from '@longshore/storage';
import { createS3Client, createS3Driver } from '@longshore/storage/s3';
import { publishedBlobs, storageDirs } from './stored-files.js';

/**
 * What a test may ask of the storage the services use, on either backend, beyond the storage
 * port itself: listings for "nothing left behind" assertions, and corruption at rest.
 */
export interface StorageView {
  /** The storage port over the same storage, built as the services build it. */
  driver: StorageDriver;
  /** The sha256 digest of every published blob in storage (read back and hashed), sorted. */
  storedBlobDigests(): Promise<string[]>;
  /** The upload ids that still hold storage (the port's `listUploads`), sorted. */
  storedUploads(): Promise<string[]>;
  /**
   * Flips byte `offset` of a written, not yet published part, as corruption at rest would (the
   * filesystem: the part file; S3: the staged part object, so only parts under 5 MiB).
   */
  corruptPartByte(uploadId: string, partNumber: number, offset: number): Promise<void>;
}

/**
 * The view of the storage `config` names, as the services build it from `env` (S3: a client
 * with the services' own credentials; the caller destroys it with `close`).
 */
export function storageView(config: Config, env: Record<string, string>): StorageView & { close(): void } {
  const s3 =
    config.storage === 's3'
      ? {
          bucket: config.s3Bucket!,
          client: createS3Client({
            ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
            region: config.s3Region,
            forcePathStyle: config.s3ForcePathStyle,
            credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
          }),
        }
      : undefined;
  const driver: StorageDriver =
    s3 === undefined
      ? createFilesystemDriver({ rootDir: config.storageDir })
      : createS3Driver({ bucket: s3.bucket, prefix: config.s3Prefix, region: config.s3Region, client: s3.client });
  const base = config.s3Prefix === '' || config.s3Prefix.endsWith('/') ? config.s3Prefix : `${config.s3Prefix}/`;

  const blobLocations = async (): Promise<string[]> => {
    if (s3 === undefined) {
      return (await publishedBlobs(storageDirs(config.dataDir).blobs)).map((blob) => `blobs/${blob}`);
    }
    const locations: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.client.send(
        new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${base}blobs/`, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) locations.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return locations;
  };

  return {
    driver,
    close: () => s3?.client.destroy(),
    async storedBlobDigests() {
      const digests: string[] = [];
      for (const location of await blobLocations()) {
        const hash = createHash('sha256');
        for await (const chunk of await driver.blobReader(location)) hash.update(chunk as Buffer);
        digests.push(`sha256:${hash.digest('hex')}`);
      }
      return digests.sort();
    },
    async storedUploads() {
      const ids: string[] = [];
      for await (const listing of driver.listUploads()) ids.push(listing.session.uploadId);
      return ids.sort();
    },
    async corruptPartByte(uploadId, partNumber, offset) {
      if (s3 === undefined) {
        const file = await open(path.join(storageDirs(config.dataDir).uploads, uploadId, String(partNumber)), 'r+');
        try {
          const byte = Buffer.alloc(1);
          await file.read(byte, 0, 1, offset);
          byte[0] = byte[0]! ^ 0xff;
          await file.write(byte, 0, 1, offset);
        } finally {
          await file.close();
        }
        return;
      }
      const Key = `${base}uploads/${uploadId}/${partNumber}`;
      const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key }));
      const bytes = Buffer.from(await object.Body!.transformToByteArray());
      bytes[offset] = bytes[offset]! ^ 0xff;
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: bytes }));
    },
  };
}
