import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, inject } from 'vitest';
import { describeGarbageCollection } from '../support/garbage-collection-scenarios.js';

// The same scenarios with STORAGE=s3 on the private Swift and REDIS_URL naming the private Redis
// Cluster: the collector's scripts run on one slot each, its scans cover every master.
const s3 = inject('s3');
const bucket = `gc-${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  // The test's own S3 driver (to check what storage holds) takes the standard AWS credential chain.
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
});

describeGarbageCollection('blob garbage collection (S3, Redis Cluster)', () => ({
  REDIS_URL: inject('redisClusterUrl'),
  STORAGE: 's3',
  S3_ENDPOINT: s3.endpoint,
  S3_BUCKET: bucket,
  S3_REGION: s3.region,
  S3_PREFIX: 'registry',
  S3_FORCE_PATH_STYLE: 'true',
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
}));
