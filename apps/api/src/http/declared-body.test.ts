import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeclaredBody } from './declared-body.js';

/** What a reader made of one request: whether it took it, the body, what verify saw, the error. */
interface Reading {
  taken: boolean;
  body?: string;
  verified?: string;
  error?: { type?: string; message: string };
}

const LIMIT = 16;
let server: Server;
let port: number;
let mode: 'declared' | 'body-parser' = 'declared';

beforeAll(async () => {
  const bodyParser = express.raw({
    type: () => true,
    limit: LIMIT,
    verify: (_req, _res, buf) => {
      verified = buf;
    },
  });
  let verified: Buffer | undefined;
  server = createServer((req, res) => {
    verified = undefined;
    const answer = (taken: boolean) => (err?: unknown) => {
      const body = (req as IncomingMessage & { body?: unknown }).body;
      const reading: Reading = {
        taken,
        ...(Buffer.isBuffer(body) ? { body: body.toString() } : {}),
        ...(verified ? { verified: verified.toString() } : {}),
        ...(err ? { error: { type: (err as { type?: string }).type, message: (err as Error).message } } : {}),
      };
      res.end(JSON.stringify(reading));
    };
    if (mode === 'body-parser') {
      bodyParser(req as never, res as never, answer(false));
      return;
    }
    const verify = (_req: IncomingMessage, _res: unknown, buf: Buffer) => {
      verified = buf;
    };
    if (!readDeclaredBody(req, LIMIT, verify, answer(true))) answer(false)();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function send(headers: Record<string, string | number>, chunks: Buffer[]): Promise<Reading> {
  return new Promise((resolve, reject) => {
    const req = request({ port, method: 'POST', path: '/', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res
        .on('data', (chunk: string) => {
          text += chunk;
        })
        .on('end', () => resolve(JSON.parse(text) as Reading));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

async function both(headers: Record<string, string | number>, chunks: Buffer[]) {
  mode = 'declared';
  const declared = await send(headers, chunks);
  mode = 'body-parser';
  const parsed = await send(headers, chunks);
  return { declared, parsed };
}

describe('readDeclaredBody', () => {
  it('reads a body of a declared length as express.raw does, verify seeing the same bytes', async () => {
    const { declared, parsed } = await both({ 'content-length': 13 }, [Buffer.from('{"a":'), Buffer.from('"bcdef"}')]);
    expect(declared).toEqual({ taken: true, body: '{"a":"bcdef"}', verified: '{"a":"bcdef"}' });
    expect({ ...declared, taken: false }).toEqual(parsed);
  });

  it('reads an empty body as an empty buffer, verified, as express.raw does', async () => {
    const { declared, parsed } = await both({ 'content-length': 0 }, []);
    expect(declared).toEqual({ taken: true, body: '', verified: '' });
    expect({ ...declared, taken: false }).toEqual(parsed);
  });

  it('takes the identity coding, named in any case', async () => {
    const { declared } = await both({ 'content-length': 2, 'content-encoding': 'IDENTITY' }, [Buffer.from('{}')]);
    expect(declared).toEqual({ taken: true, body: '{}', verified: '{}' });
  });

  it('leaves to body-parser a coded body, a chunked one and one over the limit', async () => {
    const gzipped = gzipSync(Buffer.from('{}'));
    mode = 'declared';
    expect(await send({ 'content-length': gzipped.length, 'content-encoding': 'gzip' }, [gzipped])).toEqual({
      taken: false,
    });
    expect(await send({ 'transfer-encoding': 'chunked' }, [Buffer.from('{}')])).toEqual({ taken: false });
    expect(await send({ 'content-length': LIMIT + 1 }, [Buffer.alloc(LIMIT + 1, 0x20)])).toEqual({ taken: false });
  });

  it("answers a body whose client went away with body-parser's error type", async () => {
    mode = 'declared';
    const seen = new Promise<Reading>((resolve) => {
      server.once('request', (_req, res) => {
        const end = res.end.bind(res);
        res.end = ((text: string) => {
          resolve(JSON.parse(text) as Reading);
          return end(text);
        }) as typeof res.end;
      });
    });
    const req = request({ port, method: 'POST', path: '/', headers: { 'content-length': 10 } });
    req.on('error', () => undefined);
    req.write(Buffer.from('abc'), () => setImmediate(() => req.destroy()));
    const reading = await seen;
    expect(reading.taken).toBe(true);
    expect(reading.body).toBeUndefined();
    expect(reading.error?.type).toBe('request.aborted');
    expect(reading.error?.message).toBe('request aborted');
  });
});
