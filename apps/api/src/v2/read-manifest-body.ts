import type { Request } from 'express';
import { MAX_MANIFEST_BYTES, ManifestTooLargeError } from '@longshore/domain';

/** A manifest push's body, refused (ManifestTooLarge, 413) as soon as it passes the 4 MiB limit. */
export async function readManifestBody(req: Request): Promise<Buffer> {
  const declared = req.get('content-length');
  if (declared !== undefined && Number(declared) > MAX_MANIFEST_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_MANIFEST_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(): ManifestTooLargeError {
  return new ManifestTooLargeError(`A manifest may be at most ${MAX_MANIFEST_BYTES} bytes`);
}
