import type { Longshore } from './longshore-harness.js';

export interface StartedBlobUpload {
  uploadId: string;
  /** The session URL to send the completing PUT to. */
  location: string;
}

/** Starts a /v2 blob upload and sends `bytes` as PATCH chunks of `chunkSize` with Content-Range. */
export async function uploadBlobChunks(
  longshore: Longshore,
  name: string,
  bytes: Buffer,
  chunkSize: number,
): Promise<StartedBlobUpload> {
  const started = await longshore.fetch(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
  if (started.status !== 202) throw new Error(`POST upload: ${started.status} ${await started.text()}`);
  const uploadId = started.headers.get('docker-upload-uuid')!;
  let location = started.headers.get('location')!;
  for (let first = 0; first < bytes.length; first += chunkSize) {
    const last = Math.min(first + chunkSize, bytes.length) - 1;
    const patched = await longshore.fetch(location, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${first}-${last}` },
      body: bytes.subarray(first, last + 1),
    });
    if (patched.status !== 202) throw new Error(`PATCH ${first}-${last}: ${patched.status} ${await patched.text()}`);
    location = patched.headers.get('location')!;
  }
  return { uploadId, location };
}

/** The completing `PUT <location>?digest=`; answers as the registry did. */
export function completeBlobUpload(longshore: Longshore, upload: StartedBlobUpload, digest: string): Promise<Response> {
  const separator = upload.location.includes('?') ? '&' : '?';
  return longshore.fetch(`${upload.location}${separator}digest=${encodeURIComponent(digest)}`, { method: 'PUT' });
}

/** A whole /v2 push of one blob in chunks; resolves with the completing PUT's answer. */
export async function pushBlob(longshore: Longshore, name: string, bytes: Buffer, chunkSize: number, digest: string) {
  return completeBlobUpload(longshore, await uploadBlobChunks(longshore, name, bytes, chunkSize), digest);
}
