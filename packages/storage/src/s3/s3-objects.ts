import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { satisfiableRange } from '../byte-range.js';
import type { ByteRange, ObjectInfo } from '../storage-driver.js';
import { isInvalidRange, isNoSuchKey } from './s3-error-kinds.js';

/** Object-level operations on one bucket, shared by the driver's blobs, parts and small objects. */
export class S3Objects {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** Size and time of an object; undefined when there is none. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
  }

  /**
   * A stream of the object, or of an inclusive range of it (validated against its size first, so
   * an unsatisfiable range gets RangeNotSatisfiableError with the size); undefined when there is
   * no such object.
   */
  async read(key: string, range?: ByteRange): Promise<Readable | undefined> {
    let rangeHeader: string | undefined;
    if (range !== undefined) {
      const info = await this.head(key);
      if (info === undefined) return undefined;
      const served = satisfiableRange(range, info.size);
      rangeHeader = `bytes=${served.start}-${served.end}`;
    }
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: rangeHeader }),
      );
      return object.Body as Readable;
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      if (isInvalidRange(error) && range !== undefined) {
        // The object changed between the size check and the read: check again.
        return this.read(key, range);
      }
      throw error;
    }
  }

  /** Removes an object; no error when it is already gone. */
  async delete(key: string): Promise<void> {
    // One DeleteObject per key: DeleteObjects would need a Content-MD5 some stores insist on.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Every object under `prefix`, page by page. */
  async *list(prefix: string): AsyncGenerator<{ key: string; modifiedAt: Date }> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) yield { key: object.Key, modifiedAt: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** The names right under `prefix` (which ends in '/'): objects and "directories", one level. */
  async children(prefix: string): Promise<string[]> {
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) names.add(object.Key.slice(prefix.length));
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix) names.add(common.Prefix.slice(prefix.length, -1));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    names.delete('');
    return [...names];
  }

  /** Removes every object under `prefix`, a few at a time. */
  async deleteAll(prefix: string): Promise<void> {
    const pending: Promise<void>[] = [];
    for await (const { key } of this.list(prefix)) {
      pending.push(this.delete(key));
      if (pending.length >= 16) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }
}
