import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { isBodyReadError, readStreamedPartBody } from './ecr-wire.js';

/** A request body as the streamed reader sees it: a stream with the request's headers. */
function requestWith(body: string, headers: Record<string, string> = {}): Request {
  const stream = new PassThrough();
  Object.assign(stream, { headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } });
  stream.end(body);
  return stream as unknown as Request;
}

describe('failed reads of an UploadLayerPart body, told apart from failures of the service', () => {
  it("counts the streamed reader's refusals (too large, not JSON) as the body's fault", async () => {
    const tooLarge = await readStreamedPartBody(requestWith('{"layerPartBlob":"AAAA"}'), 8).catch((err) => err);
    expect((tooLarge as { type?: string }).type).toBe('entity.too.large');
    expect(isBodyReadError(tooLarge)).toBe(true);

    const notJson = await readStreamedPartBody(requestWith('{"layerPartBlob":"AAAA"'), 1024).catch((err) => err);
    expect((notJson as { type?: string }).type).toBe('entity.parse.failed');
    // Read whole, so its hash is had for SigV4, and still the body's fault.
    expect((notJson as { sha256?: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(isBodyReadError(notJson)).toBe(true);
  });

  it("does not count the service's own failures, which carry no body-parser type", () => {
    expect(isBodyReadError(new Error('no thread could start'))).toBe(false);
    expect(isBodyReadError(Object.assign(new Error('odd'), { type: 7 }))).toBe(false);
    expect(isBodyReadError(undefined)).toBe(false);
    expect(isBodyReadError(null)).toBe(false);
  });
});
