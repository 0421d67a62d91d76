import { createHash, type Hash } from 'node:crypto';
import type { EcrSigner } from './bench-auth.js';
import type { HttpTarget, RequestOptions } from './http-target.js';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const AMZ_JSON = 'application/x-amz-json-1.1';

/** An error answer of the ECR endpoint, named as the SDKs would name it. */
export class EcrError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status: number,
  ) {
    super(`${errorType}: ${message}`);
    this.name = 'EcrError';
  }
}

export interface CompleteOutcome {
  layerDigest: string;
  /** ServerException answers ("still being finalized") that were retried. */
  retries: number;
}

/** How often CompleteLayerUpload is re-sent after a ServerException, as an SDK's retries would. */
const COMPLETE_ATTEMPTS = 20;

/** UploadLayerPart's body starts with the part, so the hash of that start can be computed once per part. */
export const PART_BODY_OPENING = Buffer.from('{"layerPartBlob":"');

/**
 * The SHA-256 state of `{"layerPartBlob":"<base64…>`: what a part's body hash starts from. Whoever
 * sends the same part (or the same part prefix) many times computes it once and passes copies.
 */
export function partBodyHash(base64: readonly Uint8Array[]): Hash {
  const hash = createHash('sha256').update(PART_BODY_OPENING);
  for (const piece of base64) hash.update(piece);
  return hash;
}

/**
 * The ECR operations the bench drives, over AWS JSON 1.1, signed with SigV4 when given a signer
 * (as the SDKs sign; unsigned requests are refused unless the service runs with AUTH=off). Bodies
 * may be given as pieces so large parts are never copied together.
 */
export class EcrClient {
  private readonly headers = new Map<string, Record<string, string>>();

  constructor(
    private readonly http: HttpTarget,
    private readonly signer?: EcrSigner,
  ) {}

  /** Another client of the same endpoint, signing alike, on a connection of its own (HttpTarget.ownClient); close() it after use. */
  ownClient(): EcrClient {
    return new EcrClient(this.http.ownClient(), this.signer);
  }

  /** Closes this client's connections (a client made by ownClient). */
  close(): void {
    this.http.close();
  }

  /**
   * One operation. `bodySha256` (the SHA-256 of all the pieces, hex) spares hashing large
   * bodies again when signing; without it the pieces are hashed here.
   */
  async call<T>(
    operation: string,
    body: object | readonly Uint8Array[],
    options?: RequestOptions,
    bodySha256?: string,
  ): Promise<T> {
    const pieces = Array.isArray(body) ? (body as readonly Uint8Array[]) : [Buffer.from(JSON.stringify(body))];
    const headers = this.signer
      ? await this.signer.sign(this.http.endpoint, this.headersFor(operation), bodySha256 ?? sha256Hex(pieces))
      : this.headersFor(operation);
    const res = await this.http.request('POST', '/', headers, pieces, options);
    const text = res.body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new EcrError(`HTTP ${res.status}`, `${operation}: not JSON: ${text.slice(0, 200)}`, res.status);
    }
    if (res.status === 200) return parsed as T;
    const fields = (parsed ?? {}) as { __type?: string; message?: string };
    const type = headerText(res.headers['x-amzn-errortype']) ?? fields.__type ?? `HTTP ${res.status}`;
    throw new EcrError(type.split(':')[0]!, fields.message ?? text.slice(0, 200), res.status);
  }

  async createRepository(repositoryName: string, options?: RequestOptions): Promise<void> {
    await this.call('CreateRepository', { repositoryName }, options);
  }

  async initiate(repositoryName: string, options?: RequestOptions): Promise<string> {
    const { uploadId } = await this.call<{ uploadId?: string }>('InitiateLayerUpload', { repositoryName }, options);
    if (typeof uploadId !== 'string') throw new Error('InitiateLayerUpload answered without an uploadId');
    return uploadId;
  }

  /** GetAuthorizationToken: the `authorizationToken` (base64 of `AWS:<token>`) registry clients log in with. */
  async authorizationToken(options?: RequestOptions): Promise<string> {
    const answer = await this.call<{ authorizationData?: { authorizationToken?: string }[] }>(
      'GetAuthorizationToken',
      {},
      options,
    );
    const token = answer.authorizationData?.[0]?.authorizationToken;
    if (typeof token !== 'string') throw new Error('GetAuthorizationToken answered without an authorizationToken');
    return token;
  }

  /**
   * UploadLayerPart with the base64 of the part given as ready-made latin1 buffers; checks the
   * answer's lastByteReceived. The body is `{"layerPartBlob":"…",…}` (the part first), so a
   * caller may pass `blobHash`, giving the `partBodyHash` of those pieces (asked only when signing;
   * copied, not consumed).
   */
  async uploadPart(
    repositoryName: string,
    uploadId: string,
    first: number,
    last: number,
    base64: readonly Uint8Array[],
    options?: RequestOptions,
    blobHash?: () => Hash,
  ): Promise<void> {
    const rest = Buffer.from(
      `","repositoryName":${JSON.stringify(repositoryName)},"uploadId":"${uploadId}",` +
        `"partFirstByte":${first},"partLastByte":${last}}`,
    );
    const bodySha256 = this.signer
      ? (blobHash?.().copy() ?? partBodyHash(base64)).update(rest).digest('hex')
      : undefined;
    const answer = await this.call<{ lastByteReceived?: number }>(
      'UploadLayerPart',
      [PART_BODY_OPENING, ...base64, rest],
      options,
      bodySha256,
    );
    if (answer.lastByteReceived !== last) {
      throw new Error(`UploadLayerPart ${first}-${last} answered lastByteReceived ${answer.lastByteReceived}`);
    }
  }

  /** CompleteLayerUpload, re-sent (bounded) while the service answers ServerException. */
  async complete(
    repositoryName: string,
    uploadId: string,
    digest: string,
    options?: RequestOptions & { retry?: boolean },
  ): Promise<CompleteOutcome> {
    const attempts = options?.retry === false ? 1 : COMPLETE_ATTEMPTS;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { layerDigest } = await this.call<{ layerDigest?: string }>(
          'CompleteLayerUpload',
          { repositoryName, uploadId, layerDigests: [digest] },
          options,
        );
        if (layerDigest !== digest) throw new Error(`CompleteLayerUpload answered ${layerDigest}, expected ${digest}`);
        return { layerDigest, retries: attempt - 1 };
      } catch (error) {
        const retryable = error instanceof EcrError && error.errorType === 'ServerException';
        if (!retryable || attempt >= attempts) throw error;
      }
    }
  }

  private headersFor(operation: string): Record<string, string> {
    let headers = this.headers.get(operation);
    if (!headers) {
      headers = { 'x-amz-target': `${TARGET_PREFIX}${operation}`, 'content-type': AMZ_JSON };
      this.headers.set(operation, headers);
    }
    return headers;
  }
}

function sha256Hex(pieces: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const piece of pieces) hash.update(piece);
  return hash.digest('hex');
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
