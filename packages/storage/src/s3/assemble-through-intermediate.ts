import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { BlobLocation } from '../storage-driver.js';
import type { StoredPart } from './part-receipt.js';
import type { SseParameters } from './s3-encryption.js';
import type { S3Objects } from './s3-objects.js';

/** What the fallback assembly needs of the driver. */
export interface AssemblyContext {
  client: S3Client;
  bucket: string;
  objects: S3Objects;
  minPartSize: number;
  /** The session's server-side encryption, for the final object too. */
  sse: SseParameters;
  /** The staged object of one of the session's parts. */
  stagedKey(partNumber: number): string;
  /** Completes the session's multipart upload at `key` with exactly the direct `parts`. */
  completeDirect(parts: StoredPart[]): Promise<void>;
}

/** A piece of the final object: a staged object, or a byte range of the intermediate object. */
interface Segment {
  key: string;
  size: number;
  /** Offset in `key` (the intermediate object); undefined for a whole staged object. */
  offset?: number;
}

/**
 * The fallback for committed parts S3 cannot complete as stored: small staged parts before a
 * part that went straight into the multipart upload. The session's multipart upload is completed
 * with its direct parts only, into `intermediateKey` (now readable); then a second multipart
 * upload at `finalKey` takes the layer in order, in parts of at least the minimum size, each
 * byte read back and uploaded once; then the intermediate object is deleted. Idempotent: a run
 * that finds `finalKey` only removes a leftover intermediate object.
 */
export async function assembleThroughIntermediate(
  context: AssemblyContext,
  parts: readonly StoredPart[],
  intermediateKey: string,
  finalKey: string,
  multipartOpen: boolean,
): Promise<BlobLocation> {
  const { client, bucket, objects, minPartSize } = context;
  if ((await objects.head(finalKey)) === undefined) {
    const direct = parts.filter((part) => part.kind === 'direct');
    if (multipartOpen) await context.completeDirect(direct);
    const segments: Segment[] = [];
    let offset = 0;
    for (const part of parts) {
      if (part.kind === 'staged') segments.push({ key: context.stagedKey(part.partNumber), size: part.size });
      else {
        segments.push({ key: intermediateKey, size: part.size, offset });
        offset += part.size;
      }
    }
    const groups: Segment[][] = [[]];
    let groupSize = 0;
    for (const segment of segments) {
      if (groupSize >= minPartSize) {
        groups.push([]);
        groupSize = 0;
      }
      groups[groups.length - 1]?.push(segment);
      groupSize += segment.size;
    }
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: finalKey, ...context.sse }),
    );
    const completed: { PartNumber: number; ETag: string }[] = [];
    for (const [index, group] of groups.entries()) {
      const size = group.reduce((sum, segment) => sum + segment.size, 0);
      const { ETag } = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: finalKey,
          UploadId,
          PartNumber: index + 1,
          Body: Readable.from(bytesOf(client, bucket, group)),
          ContentLength: size,
        }),
      );
      completed.push({ PartNumber: index + 1, ETag: ETag ?? '' });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: finalKey,
        UploadId,
        MultipartUpload: { Parts: completed },
      }),
    );
  }
  await objects.delete(intermediateKey);
  return finalKey;
}

async function* bytesOf(client: S3Client, bucket: string, segments: readonly Segment[]): AsyncGenerator<Uint8Array> {
  for (const segment of segments) {
    if (segment.size === 0) continue;
    const range =
      segment.offset === undefined ? undefined : `bytes=${segment.offset}-${segment.offset + segment.size - 1}`;
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: segment.key, Range: range }));
    for await (const chunk of object.Body as Readable) yield chunk as Uint8Array;
  }
}
