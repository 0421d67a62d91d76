import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, inject, it } from 'vitest';

// The S3 API the distributed tests get (test/global-setup-distributed.ts) is a real server:
// it checks signatures and S3's rules, which is what makes it worth testing against.
const s3 = inject('s3');
const client = new S3Client({
  endpoint: s3.endpoint,
  region: s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const bucket = `smoke-${randomBytes(4).toString('hex')}`;
const MiB = 1024 * 1024;

describe('the embedded Swift S3 API', () => {
  it('creates a bucket, completes a multipart upload of a 5 MiB part and a last small one, and serves it by presigned GET', async () => {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const key = 'layers/one';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const first = randomBytes(5 * MiB);
    const last = randomBytes(1000);
    // Part numbers need not be consecutive: only those named at completion make the object.
    const a = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 2, Body: first }),
    );
    const b = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 5, Body: last }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 2, ETag: a.ETag },
            { PartNumber: 5, ETag: b.ETag },
          ],
        },
      }),
    );

    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.concat([first, last]))).toBe(true);

    const forged = url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`);
    expect((await fetch(forged)).status).toBe(403);
  });

  it('refuses to complete a multipart upload whose non-last part is below 5 MiB', async () => {
    await client.send(new CreateBucketCommand({ Bucket: `${bucket}-small` }));
    const target = { Bucket: `${bucket}-small`, Key: 'small' };
    const { UploadId } = await client.send(new CreateMultipartUploadCommand(target));
    const parts = [];
    for (const PartNumber of [1, 2]) {
      const { ETag } = await client.send(
        new UploadPartCommand({ ...target, UploadId, PartNumber, Body: randomBytes(5 * MiB - 1) }),
      );
      parts.push({ PartNumber, ETag });
    }
    await expect(
      client.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } })),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
    await client.send(new AbortMultipartUploadCommand({ ...target, UploadId }));
  });

  it('rejects a request signed with the wrong secret', async () => {
    const impostor = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    await expect(impostor.send(new CreateBucketCommand({ Bucket: `${bucket}-impostor` }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });
});
