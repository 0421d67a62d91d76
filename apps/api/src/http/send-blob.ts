import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { RangeNotSatisfiableError, storageLayout } from '@longshore/domain';
import type { StorageDriver } from '@longshore/storage';

export interface StoredBlob {
  digest: string;
  hex: string;
  size: number;
}

/**
 * Answers a blob's bytes from content-addressed storage: whole, or the one `Range` asked for
 * (206). HEAD answers the headers alone. A range no byte satisfies throws
 * RangeNotSatisfiableError, with `Content-Range: bytes *\/<size>` already set for the answerer.
 */
export async function sendBlob(req: Request, res: Response, storage: StorageDriver, blob: StoredBlob): Promise<void> {
  const ranges = req.headers.range ? req.range(blob.size) : undefined;
  if (ranges === -1) {
    res.set('Content-Range', `bytes */${blob.size}`);
    throw new RangeNotSatisfiableError('No byte of the blob is in the requested range', { size: blob.size });
  }
  res.set({
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': blob.digest,
    ETag: `"${blob.digest}"`,
    'Cache-Control': 'private, max-age=31536000, immutable',
  });
  const range = Array.isArray(ranges) && ranges.length === 1 ? ranges[0]! : undefined;
  if (range) res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
  else res.status(200);
  const length = range ? range.end - range.start + 1 : blob.size;
  res.set('Content-Length', String(length));
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const stream = await storage.reader(storageLayout.blob(blob.hex), range);
  await pipeline(stream, res);
}
