import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import express, { type Request, type Response } from 'express';
import { describe, expect, it } from 'vitest';
import { isBodyReadError, readStreamedPartBody } from './ecr-wire.js';

/** A request body as the streamed reader sees it: a stream with the request's headers. */
function requestWith(body: string, headers: Record<string, string> = {}): Request {
  const stream = new PassThrough();
  Object.assign(stream, {
    headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
  });
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

  it('counts a body that is not in the coding it names as its fault (body-parser wraps the zlib error as a 400)', async () => {
    // express.raw as the ECR door reads a non-part body, on a real server.
    const failures: unknown[] = [];
    const server = http.createServer((req, res) =>
      express.raw({ type: () => true })(req as Request, res as Response, (err?: unknown) => {
        failures.push(err);
        res.end();
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-encoding': 'deflate' },
      body: '{"repositoryName":"a"}',
    });
    server.close();
    expect((failures[0] as { status?: number }).status).toBe(400);
    expect(isBodyReadError(failures[0])).toBe(true);
  });

  it("does not count the service's own failures, which carry no body-parser type", () => {
    expect(isBodyReadError(new Error('no thread could start'))).toBe(false);
    expect(isBodyReadError(Object.assign(new Error('odd'), { type: 7 }))).toBe(false);
    expect(isBodyReadError(Object.assign(new Error('down'), { status: 503 }))).toBe(false);
    expect(isBodyReadError(undefined)).toBe(false);
    expect(isBodyReadError(null)).toBe(false);
  });
});
