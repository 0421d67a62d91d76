import { randomBytes } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { describeStorageDriverConformance } from '../conformance.js';
import { createS3Client } from './s3-client.js';
import { createS3Driver } from './s3-driver.js';

// The one storage conformance suite, against the real S3 API of the private Swift that
// test/global-setup-distributed.ts starts (it checks signatures and S3's part rules).
describeStorageDriverConformance('s3 (OpenStack Swift s3api)', async () => {
  const s3 = inject('s3');
  const options = {
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  };
  const client = createS3Client(options);
  const bucket = `conformance-${randomBytes(6).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    driver: createS3Driver({ ...options, client, bucket, prefix: 'longshore' }),
    teardown: async () => client.destroy(),
    localParts: false,
  };
});
