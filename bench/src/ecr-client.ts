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

/**
 * The ECR operations the bench drives, over AWS JSON 1.1 without signing (Longshore ignores
 * SigV4 headers). Bodies may be given as pieces so large parts are never copied together.
 */
export class EcrClient {
  private readonly headers = new Map<string, Record<string, string>>();

  constructor(private readonly http: HttpTarget) {}

  async call<T>(operation: string, body: object | readonly Uint8Array[], options?: RequestOptions): Promise<T> {
    const pieces = Array.isArray(body) ? (body as readonly Uint8Array[]) : [Buffer.from(JSON.stringify(body))];
    const res = await this.http.request('POST', '/', this.headersFor(operation), pieces, options);
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

  /**
   * UploadLayerPart with the base64 of the part given as ready-made latin1 buffers; checks the
   * answer's lastByteReceived.
   */
  async uploadPart(
    repositoryName: string,
    uploadId: string,
    first: number,
    last: number,
    base64: readonly Uint8Array[],
    options?: RequestOptions,
  ): Promise<void> {
    const head = Buffer.from(
      `{"repositoryName":${JSON.stringify(repositoryName)},"uploadId":"${uploadId}",` +
        `"partFirstByte":${first},"partLastByte":${last},"layerPartBlob":"`,
    );
    const answer = await this.call<{ lastByteReceived?: number }>(
      'UploadLayerPart',
      [head, ...base64, CLOSE_BLOB],
      options,
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

const CLOSE_BLOB = Buffer.from('"}');

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
