import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client } from '@longshore/storage/s3';
import { inject } from 'vitest';

/**
 * Which storage and Redis the harness runs Longshore on, chosen by the vitest project
 * (`provide: { e2eBackend }` in vitest.config.ts): `filesystem` (DATA_DIR and the project's
 * private redis-server, the `e2e` project) or `s3-cluster` (STORAGE=s3 on the private Swift S3
 * API and REDIS_URL naming the private Redis Cluster, the `e2e-s3-cluster` project).
 */
export type E2eBackend = 'filesystem' | 's3-cluster';

export function e2eBackend(): E2eBackend {
  return inject('e2eBackend') ?? 'filesystem';
}

/** Where one harness's bytes and keys live on S3 + Redis Cluster, and how to remove them. */
export interface S3ClusterPlace {
  /** The env that points Longshore at it (STORAGE, S3_*, AWS_*, REDIS_URL). */
  env: Record<string, string>;
  client: S3Client;
  bucket: string;
  /** Empties and deletes the bucket (objects and open multipart uploads). */
  remove(): Promise<void>;
}

/**
 * A fresh bucket of its own for one harness (so test files and harnesses run in parallel without
 * seeing each other's objects), on the Swift S3 API the project's global setup started.
 */
export async function createS3ClusterPlace(name: string): Promise<S3ClusterPlace> {
  const s3 = inject('s3');
  // Configured as the S3 driver configures its own (no aws-chunked payloads, which Swift refuses).
  const client = createS3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const bucket = `e2e-${name}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    client,
    bucket,
    env: {
      REDIS_URL: inject('redisClusterUrl'),
      STORAGE: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      S3_REGION: s3.region,
      S3_PREFIX: 'registry',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
    async remove() {
      await emptyBucket(client, bucket);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    },
  };
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const uploads = page.Uploads ?? [];
    if (uploads.length === 0) break;
    await Promise.all(
      uploads.map((u) =>
        client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId })),
      ),
    );
  }
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
    if (keys.length === 0) break;
    await Promise.all(keys.map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
  }
}
