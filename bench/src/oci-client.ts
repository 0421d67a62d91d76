import type { HttpTarget, RequestOptions } from './http-target.js';

/** An answer of a `/v2` endpoint that a push cannot go on from. */
export class OciError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`HTTP ${status}: ${message}`);
    this.name = 'OciError';
  }
}

/** The target has no `/v2` API: GET /v2/ answered 404. The scenario is then reported as n/a. */
export class NoV2ApiError extends Error {}

const OCTETS = 'application/octet-stream';

/**
 * The blob pushes of the OCI distribution spec (the wire of `docker push`), used against
 * Longshore's `/v2` and against the reference registry alike: POST starts an upload session;
 * PATCH sends a chunk (Content-Range `<first>-<last>`); PUT `?digest=` sends an optional last
 * body and completes. Every answer's Location is the session URL of the next request.
 */
export class OciClient {
  constructor(private readonly http: HttpTarget) {}

  /** Another client of the same registry on a connection of its own (HttpTarget.ownClient); close() it after use. */
  ownClient(): OciClient {
    return new OciClient(this.http.ownClient());
  }

  /** Closes this client's connections (a client made by ownClient). */
  close(): void {
    this.http.close();
  }

  /** GET /v2/: throws NoV2ApiError on 404 (no /v2 API), OciError on anything but 200/401. */
  async probe(options?: RequestOptions): Promise<void> {
    const res = await this.http.request('GET', '/v2/', {}, [], options);
    if (res.status === 404) throw new NoV2ApiError(`${this.http.endpoint.origin} answers 404 on GET /v2/: no /v2 API`);
    if (res.status !== 200 && res.status !== 401) throw new OciError(res.status, `GET /v2/: ${text(res.body)}`);
  }

  /** POST /v2/<name>/blobs/uploads/ → the session's location (path and query). */
  async startUpload(repositoryName: string, options?: RequestOptions): Promise<string> {
    const path = `/v2/${repositoryName}/blobs/uploads/`;
    const res = await this.http.request('POST', path, {}, [], options);
    if (res.status !== 202) throw new OciError(res.status, `POST ${path}: ${text(res.body)}`);
    return this.location(res.headers.location, `POST ${path}`);
  }

  /** PATCH one chunk of bytes [first, last] → the next location. */
  async patchChunk(
    location: string,
    first: number,
    last: number,
    body: readonly Uint8Array[],
    options?: RequestOptions,
  ): Promise<string> {
    const res = await this.http.request(
      'PATCH',
      location,
      { 'content-type': OCTETS, 'content-range': `${first}-${last}` },
      body,
      options,
    );
    if (res.status !== 202) throw new OciError(res.status, `PATCH bytes ${first}-${last}: ${text(res.body)}`);
    const range = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
    if (!range || Number(range[1]) !== last) {
      throw new Error(`PATCH bytes ${first}-${last} answered Range '${res.headers.range}'`);
    }
    return this.location(res.headers.location, 'PATCH');
  }

  /** PUT <location>?digest=…, with the blob's last bytes (or all of them) or none: 201. */
  async finishUpload(
    location: string,
    digest: string,
    body: readonly Uint8Array[] = [],
    options?: RequestOptions,
  ): Promise<void> {
    const url = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const res = await this.http.request('PUT', url, body.length ? { 'content-type': OCTETS } : {}, body, options);
    if (res.status !== 201) throw new OciError(res.status, `PUT ?digest=${digest}: ${text(res.body)}`);
    const answered = res.headers['docker-content-digest'];
    if (answered !== undefined && answered !== digest) {
      throw new Error(`PUT ?digest=${digest} answered Docker-Content-Digest ${answered}`);
    }
  }

  /** A Location header as a request path on this endpoint (registries may answer absolute URLs). */
  private location(header: string | string[] | undefined, what: string): string {
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) throw new Error(`${what} answered without a Location`);
    const url = new URL(value, this.http.endpoint);
    return `${url.pathname}${url.search}`;
  }
}

function text(body: Buffer): string {
  return body.toString('utf8').slice(0, 200).trim();
}
