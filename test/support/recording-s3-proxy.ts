import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** One request as it reached the proxy: what the test asserts on. */
export interface RecordedS3Request {
  method: string;
  /** The object key (after the bucket, path-style), '' for bucket-level requests. */
  key: string;
  /** The query string (`uploads`, `partNumber=1&uploadId=…`), '' for none. */
  query: string;
  /** The x-amz-server-side-encryption* headers it carried (lower-case names). */
  sse: Record<string, string>;
}

export interface RecordingS3Proxy {
  /** `http://127.0.0.1:<port>`: the S3 endpoint to give Longshore. */
  endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedS3Request[];
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  /** The real S3 endpoint behind it. */
  target: string;
  region: string;
  /** The key Longshore signs with: a request whose SSE headers are taken off is signed again with it. */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

const SSE_HEADER = /^x-amz-server-side-encryption/;

/**
 * The test's instrument in front of a store without server-side encryption (Swift's s3api refuses
 * `aws:kms`, and `AES256` unless its encryption middleware runs): records every request's method,
 * key and SSE headers, takes the SSE headers off, and forwards it. SigV4 covers those headers (the
 * SDK signs every x-amz-* header), so a request that had them is signed again, with the same key,
 * region and payload hash (x-amz-content-sha256), over exactly the headers the client signed less
 * the SSE ones; everything else (presigned GETs included) is forwarded untouched.
 */
export async function startRecordingS3Proxy(options: RecordingProxyOptions): Promise<RecordingS3Proxy> {
  const upstream = new URL(options.target);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const requests: RecordedS3Request[] = [];

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const [, , ...keyParts] = url.pathname.split('/');
      const sse = Object.fromEntries(
        Object.entries(req.headers)
          .filter(([name]) => SSE_HEADER.test(name))
          .map(([name, value]) => [name, String(value)]),
      );
      requests.push({
        method: req.method ?? '',
        key: decodeURIComponent(keyParts.join('/')),
        query: url.search.replace(/^\?/, ''),
        sse,
      });
      const headers = { ...req.headers };
      if (Object.keys(sse).length > 0) {
        for (const name of Object.keys(sse)) delete headers[name];
        Object.assign(headers, await signedAgain(req, headers, url));
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    })().catch(() => res.destroy());
  });

  /** The Authorization and X-Amz-Date of `headers` signed over the headers the client signed, SSE ones taken off. */
  async function signedAgain(req: http.IncomingMessage, headers: http.IncomingHttpHeaders, url: URL) {
    const signedNames = /SignedHeaders=([^,]+)/.exec(String(req.headers.authorization))?.[1]?.split(';') ?? [];
    const toSign: Record<string, string> = {};
    for (const name of signedNames) {
      if (name === 'x-amz-date' || SSE_HEADER.test(name)) continue;
      const value = headers[name];
      if (value !== undefined) toSign[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    const signed = await signer.sign({
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: upstream.hostname,
      path: (req.url ?? '/').split('?')[0] ?? '/',
      query,
      headers: toSign,
    });
    return { authorization: signed.headers.authorization, 'x-amz-date': signed.headers['x-amz-date'] };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
