import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { PathNotFoundError, UploadSessionNotFoundError } from '../errors.js';
import type { UploadSession, WrittenPart } from '../storage-driver.js';
import { createS3Client } from './s3-client.js';
import { createS3Driver } from './s3-driver.js';
import { createS3DriverFromSettings } from './s3-driver-from-settings.js';
import { PartNotReadableError } from './s3-storage-errors.js';

// What only the S3 driver does, against the real S3 API of the private Swift: parts of S3's
// minimum size go straight into the multipart upload, smaller ones are staged and merged.
const MiB = 1024 * 1024;
const s3 = inject('s3');
const connection = {
  endpoint: s3.endpoint,
  region: s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
};
const client = createS3Client(connection);
const bucket = `multipart-${randomBytes(6).toString('hex')}`;
const driver = createS3Driver({ ...connection, client, bucket, prefix: 'ls' });

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

const digestOf = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function s3PartNumbers(session: UploadSession): Promise<number[]> {
  const { key, multipart } = session.state;
  const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: multipart }));
  return (listed.Parts ?? []).map((part) => part.PartNumber ?? 0);
}

describe('the S3 driver with parts of S3 size', () => {
  it('uploads parts of 5 MiB or more straight into the multipart upload under the claim number', async () => {
    const session = await driver.createUpload(randomUUID());
    const [a, stale, b, last] = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(6 * MiB), randomBytes(1000)];
    const first = await driver.writePart(session, 1, a);
    await driver.writePart(session, 2, stale); // a writer that lost its claim
    const second = await driver.writePart(session, 3, b, b.length);
    const third = await driver.writePart(session, 4, last);
    expect(first.receipt).toMatch(/^direct:/);
    expect(third.receipt).toMatch(/^staged:/);
    // The large parts went into the multipart upload as written; the small last one is staged.
    expect(await s3PartNumbers(session)).toEqual([1, 2, 3]);
    await expect(driver.partReader(session, 1)).rejects.toBeInstanceOf(PartNotReadableError);
    expect((await readAll(await driver.partReader(session, 4))).equals(last)).toBe(true);

    const content = Buffer.concat([a, b, last]);
    const location = await driver.completeUpload(session, [first, second, third], digestOf(content));
    expect((await driver.statBlob(location)).size).toBe(content.length);
    expect((await readAll(await driver.blobReader(location))).equals(content)).toBe(true);
    const range = { start: 5 * MiB - 10, end: 5 * MiB + 10 };
    expect(
      (await readAll(await driver.blobReader(location, range))).equals(content.subarray(range.start, range.end + 1)),
    ).toBe(true);

    // The presigned URL serves the blob without credentials.
    const response = await fetch(await driver.blobUrl(location, 60));
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(content)).toBe(true);

    // A late part is refused and completing again changes nothing.
    await expect(driver.writePart(session, 5, randomBytes(5 * MiB))).rejects.toBeInstanceOf(UploadSessionNotFoundError);
    expect(await driver.completeUpload(session, [first, second, third], digestOf(content))).toBe(location);
    await driver.abortUpload(session);
    expect((await readAll(await driver.blobReader(location))).equals(content)).toBe(true);
  });

  it('merges small staged parts into parts of S3 size, and stages a large part of unknown length', async () => {
    const session = await driver.createUpload(randomUUID());
    const small = [randomBytes(3 * MiB), randomBytes(2 * MiB + 7)];
    const big = randomBytes(5 * MiB);
    const streamed = randomBytes(7 * MiB + 3);
    async function* chunks(bytes: Buffer): AsyncGenerator<Uint8Array> {
      for (let offset = 0; offset < bytes.length; offset += 256 * 1024)
        yield bytes.subarray(offset, offset + 256 * 1024);
    }
    const written: WrittenPart[] = [];
    written.push(await driver.writePart(session, 1, small[0]!));
    written.push(await driver.writePart(session, 2, small[1]!));
    written.push(await driver.writePart(session, 3, big));
    written.push(await driver.writePart(session, 4, chunks(streamed))); // no length: staged
    expect(written.map((part) => part.receipt.split(':')[0])).toEqual(['staged', 'staged', 'direct', 'staged']);
    expect(written[3]!.size).toBe(streamed.length);

    const content = Buffer.concat([...small, big, streamed]);
    const location = await driver.completeUpload(session, written, digestOf(content));
    expect((await readAll(await driver.blobReader(location))).equals(content)).toBe(true);
    await driver.abortUpload(session);
    const listed: string[] = [];
    for await (const listing of driver.listUploads()) listed.push(listing.session.uploadId);
    expect(listed).not.toContain(session.uploadId);
  });

  it('assembles small staged parts followed by direct ones through an intermediate object', async () => {
    const session = await driver.createUpload(randomUUID());
    const bytes = [
      randomBytes(1000),
      randomBytes(5 * MiB),
      randomBytes(3 * MiB),
      randomBytes(5 * MiB + 1),
      randomBytes(10),
    ];
    const written: WrittenPart[] = [];
    for (const [index, part] of bytes.entries()) written.push(await driver.writePart(session, index + 1, part));
    expect(written.map((part) => part.receipt.split(':')[0])).toEqual([
      'staged',
      'direct',
      'staged',
      'direct',
      'staged',
    ]);
    const content = Buffer.concat(bytes);
    // Two runs at once (a re-run job), then a third: one location, the whole layer.
    const [one, two] = await Promise.all([
      driver.completeUpload(session, written, digestOf(content)),
      driver.completeUpload(session, written, digestOf(content)),
    ]);
    expect(two).toBe(one);
    expect(await driver.completeUpload(session, written, digestOf(content))).toBe(one);
    expect((await readAll(await driver.blobReader(one))).equals(content)).toBe(true);
    // The intermediate object is gone, and abort leaves the blob alone.
    await expect(driver.statBlob(session.state.key ?? '')).rejects.toBeInstanceOf(PathNotFoundError);
    await driver.abortUpload(session);
    expect((await driver.statBlob(one)).size).toBe(content.length);
  });
});

describe('createS3DriverFromSettings', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('takes the configured endpoint, bucket and prefix, and credentials from the standard AWS chain', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', s3.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', s3.secretAccessKey);
    const configured = createS3DriverFromSettings({
      s3Endpoint: s3.endpoint,
      s3Bucket: bucket,
      s3Region: s3.region,
      s3Prefix: 'from-settings',
      s3ForcePathStyle: true,
    });
    await configured.putContent('probe/a', Buffer.from('signed by the chain'));
    expect((await configured.getContent('probe/a')).toString()).toBe('signed by the chain');
    // Under its own prefix: the driver with another prefix does not see it.
    await expect(driver.getContent('probe/a')).rejects.toBeInstanceOf(PathNotFoundError);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'from-settings/objects/probe/a' }));
    expect(head.ContentLength).toBe('signed by the chain'.length);
  });
});
