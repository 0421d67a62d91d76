import type { HttpTarget, RequestOptions } from './http-target.js';

/** An error answer of Longshore's own /v1 API (`{"success": false, "error": {...}}`). */
export class V1Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = 'V1Error';
  }
}

interface StatusDocument {
  status: string;
  layerDigest: string | null;
  error: { name: string; message: string } | null;
}

const LONG_POLL_SECONDS = 30;
/** Long polls before giving up on an upload that never finishes. */
const MAX_POLLS = 40;

/** The raw part upload and the asynchronous completion of `/v1` (apps/api/src/v1/v1-router.ts). */
export class V1Client {
  constructor(private readonly http: HttpTarget) {}

  async putPart(
    uploadId: string,
    first: number,
    last: number,
    bytes: Uint8Array,
    options?: RequestOptions,
  ): Promise<void> {
    const data = await this.send<{ lastByteReceived?: number }>(
      'PUT',
      `/v1/uploads/${uploadId}/parts`,
      { 'content-type': 'application/octet-stream', 'content-range': `bytes ${first}-${last}/*` },
      [bytes],
      options,
    );
    if (data.lastByteReceived !== last) {
      throw new Error(`PUT part ${first}-${last} answered lastByteReceived ${data.lastByteReceived}`);
    }
  }

  /** POST …/complete (202), then long-polls the status until the upload is completed or failed. */
  async completeAndWait(
    repositoryName: string,
    uploadId: string,
    digest: string,
    options?: RequestOptions,
  ): Promise<{ polls: number }> {
    const body = Buffer.from(JSON.stringify({ repositoryName, layerDigests: [digest] }));
    await this.send(
      'POST',
      `/v1/uploads/${uploadId}/complete`,
      { 'content-type': 'application/json' },
      [body],
      options,
    );
    for (let poll = 1; poll <= MAX_POLLS; poll += 1) {
      const doc = await this.send<StatusDocument>(
        'GET',
        `/v1/uploads/${uploadId}?wait=${LONG_POLL_SECONDS}`,
        {},
        [],
        options,
      );
      if (doc.status === 'completed') {
        if (doc.layerDigest !== digest)
          throw new Error(`upload ${uploadId} completed as ${doc.layerDigest}, expected ${digest}`);
        return { polls: poll };
      }
      if (doc.status === 'failed') {
        throw new V1Error(doc.error?.name ?? 'failed', doc.error?.message ?? 'finalization failed', 200);
      }
    }
    throw new Error(`upload ${uploadId} was not finalized after ${MAX_POLLS} long polls`);
  }

  private async send<T>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: readonly Uint8Array[],
    options?: RequestOptions,
  ): Promise<T> {
    const res = await this.http.request(method, path, headers, body, options);
    let parsed: { success?: boolean; data?: T; error?: { code?: string; message?: string } };
    try {
      parsed = JSON.parse(res.body.toString('utf8')) as typeof parsed;
    } catch {
      throw new V1Error(`HTTP ${res.status}`, `${method} ${path}: not JSON`, res.status);
    }
    if (res.status >= 300 || parsed.success !== true || parsed.data === undefined) {
      throw new V1Error(parsed.error?.code ?? `HTTP ${res.status}`, parsed.error?.message ?? 'no message', res.status);
    }
    return parsed.data;
  }
}
