import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { RangeNotSatisfiableError } from '@longshore/domain';
import type { BlobLocation, StorageDriver } from '@longshore/storage';

export interface StoredBlob {
  digest: string;
  size: number;
  /** Where storage keeps it (from the blob index). */
  location: BlobLocation;
}

/**
 * How blob GETs are answered: streamed through this process, or (`redirectSeconds` set, and the
 * driver able to presign) redirected with 307 to a URL of the object store valid that long.
 */
export interface BlobDelivery {
  redirectSeconds?: number;
}

/**
 * Answers a blob's bytes from storage: whole, or the one `Range` asked for
 * (206), or a 307 to the object store when `delivery` says so (a client re-sends its `Range`
 * there). HEAD answers the headers alone. A range no byte satisfies throws
 * RangeNotSatisfiableError, with `Content-Range: bytes *\/<size>` already set for the answerer,
 * whether or not the answer would have been a redirect.
 */
export async function sendBlob(
  req: Request,
  res: Response,
  storage: StorageDriver,
  blob: StoredBlob,
  delivery: BlobDelivery = {},
): Promise<void> {
  // Checked before any redirect, so a range no byte satisfies gets this wire's own error on every
  // storage driver, not the object store's.
  // Only byte ranges: a Range of another unit is ignored, as RFC 9110 §14.2 requires (the whole blob, 200).
  const ranges = /^bytes=/i.test(req.headers.range ?? '') ? req.range(blob.size) : undefined;
  if (ranges === -1) {
    res.set('Content-Range', `bytes */${blob.size}`);
    throw new RangeNotSatisfiableError('No byte of the blob is in the requested range', { size: blob.size });
  }
  if (req.method === 'GET' && delivery.redirectSeconds && storage.blobUrl) {
    const url = await storage.blobUrl(blob.location, delivery.redirectSeconds);
    res.status(307).set({ Location: url, 'Docker-Content-Digest': blob.digest, 'Content-Length': '0' }).end();
    return;
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
  const stream = await storage.blobReader(blob.location, range);
  try {
    await pipeline(stream, res);
  } catch (err) {
    // A client that hangs up mid-download is not a server fault: nothing to answer, nothing to alarm.
    if (!clientHungUp(req, res)) throw err;
    req.log.debug({ digest: blob.digest }, 'client closed the download before it ended');
  }
}

function clientHungUp(req: Request, res: Response): boolean {
  return !res.writableFinished && (req.socket.destroyed || res.destroyed);
}
