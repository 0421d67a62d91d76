import { createHash } from 'node:crypto';
import { mediaTypes, MAX_MANIFEST_BYTES } from '@longshore/domain';
import type { UpstreamCredential } from './upstream-credentials.js';
import { UpstreamError } from './upstream-error.js';

/** What the client needs to reach one repository of an upstream registry. */
export interface UpstreamEndpoint {
  /** `https://host[:port]` or `http://host[:port]` (see upstreamBaseUrl). */
  baseUrl: URL;
  repository: string;
  credential?: UpstreamCredential;
}

export interface UpstreamManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface UpstreamManifestHead {
  digest: string;
  mediaType: string;
}

/** An open upstream blob: its size when the upstream said it, and its body with an idle time-out. */
export interface UpstreamBlob {
  size: number | undefined;
  body: AsyncIterable<Uint8Array>;
  /** Stops reading (the body then ends with an error). */
  cancel(): void;
}

const MANIFEST_ACCEPT = [
  mediaTypes.ociIndex,
  mediaTypes.ociManifest,
  mediaTypes.dockerManifestList,
  mediaTypes.dockerManifest,
].join(', ');

interface CachedToken {
  value: string;
  expiresAt: number;
}

/**
 * A client of the OCI Distribution API of upstream registries, as a pull needs it: manifests by
 * tag or digest, blobs, and the ping. Authentication follows each registry's challenge: none,
 * Basic, or the bearer-token flow of Docker Hub, GHCR and Quay (`WWW-Authenticate: Bearer
 * realm=…,service=…,scope=…` → a token from the realm, with the credential as Basic when there is
 * one). Tokens are kept until they expire. Every request is bounded by `timeoutMs` until its
 * headers arrive and between two stretches of its body.
 */
export class UpstreamRegistry {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(private readonly options: { timeoutMs: number }) {}

  /** A manifest by tag or digest; its digest is the sha256 of its bytes (checked against a digest reference). */
  async manifest(endpoint: UpstreamEndpoint, reference: string): Promise<UpstreamManifest> {
    const { response, done } = await this.request(endpoint, `manifests/${reference}`, {
      method: 'GET',
      headers: { accept: MANIFEST_ACCEPT },
    });
    try {
      const declared = Number(response.headers.get('content-length') ?? '0');
      if (declared > MAX_MANIFEST_BYTES) throw new UpstreamError('the upstream manifest is too large', 'invalid');
      const bytes = Buffer.from(await response.arrayBuffer());
      if (bytes.length > MAX_MANIFEST_BYTES) throw new UpstreamError('the upstream manifest is too large', 'invalid');
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (reference.startsWith('sha256:') && reference !== digest) {
        throw new UpstreamError(
          `the upstream answered a manifest of digest ${digest} for ${reference}`,
          'digest-mismatch',
        );
      }
      const mediaType = mediaTypeOf(response.headers.get('content-type'), bytes);
      return { digest, mediaType, bytes };
    } catch (err) {
      throw asUpstreamError(err);
    } finally {
      done();
    }
  }

  /** The digest a tag names upstream now (HEAD: Docker Hub does not count it against pull limits). */
  async headManifest(endpoint: UpstreamEndpoint, reference: string): Promise<UpstreamManifestHead | undefined> {
    const { response, done } = await this.request(endpoint, `manifests/${reference}`, {
      method: 'HEAD',
      headers: { accept: MANIFEST_ACCEPT },
    });
    done();
    const digest = response.headers.get('docker-content-digest');
    const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim();
    // Without the digest header the caller GETs the manifest instead.
    return digest && mediaType ? { digest, mediaType } : undefined;
  }

  /** A blob's size, without its body (a HEAD that misses the cache). */
  async headBlob(endpoint: UpstreamEndpoint, digest: string): Promise<number | undefined> {
    const { response, done } = await this.request(endpoint, `blobs/${digest}`, { method: 'HEAD' });
    done();
    const length = response.headers.get('content-length');
    return length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
  }

  /** A blob's body, streamed. */
  async blob(endpoint: UpstreamEndpoint, digest: string): Promise<UpstreamBlob> {
    const { response, controller, done } = await this.request(endpoint, `blobs/${digest}`, { method: 'GET' });
    const length = response.headers.get('content-length');
    const size = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
    const body = response.body;
    if (!body) {
      done();
      throw new UpstreamError('the upstream answered a blob without a body', 'invalid');
    }
    const timeoutMs = this.options.timeoutMs;
    async function* read(): AsyncIterable<Uint8Array> {
      const reader = body!.getReader();
      try {
        for (;;) {
          const timer = setTimeout(
            () => controller.abort(new UpstreamError('the upstream blob stalled', 'timeout')),
            timeoutMs,
          );
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            throw asUpstreamError(controller.signal.reason ?? err);
          } finally {
            clearTimeout(timer);
          }
          if (chunk.done) return;
          yield chunk.value;
        }
      } finally {
        reader.releaseLock();
        // Held until the body is read: undici cancels the body of a Response it finds unreachable.
        void response.bodyUsed;
        done();
      }
    }
    return { size, body: read(), cancel: () => controller.abort(new UpstreamError('cancelled', 'unreachable')) };
  }

  /** Whether the registry answers `/v2/` with these credentials (ValidatePullThroughCacheRule). */
  async ping(endpoint: Omit<UpstreamEndpoint, 'repository'>): Promise<void> {
    const { done } = await this.request({ ...endpoint, repository: '' }, '', { method: 'GET' });
    done();
  }

  /**
   * One request, authenticated as the upstream's challenge asks (at most one challenge round).
   * Resolves once the headers of a 2xx answer arrived; `done` releases the time-out.
   */
  private async request(
    endpoint: UpstreamEndpoint,
    path: string,
    init: { method: string; headers?: Record<string, string> },
  ): Promise<{ response: Response; controller: AbortController; done: () => void }> {
    const url = endpoint.repository
      ? new URL(`/v2/${endpoint.repository}/${path}`, endpoint.baseUrl)
      : new URL('/v2/', endpoint.baseUrl);
    const scope = endpoint.repository ? `repository:${endpoint.repository}:pull` : '';
    const tokenKey = `${endpoint.baseUrl.href}|${scope}|${endpoint.credential?.username ?? ''}`;
    const cached = this.tokens.get(tokenKey);
    let authorization = cached && cached.expiresAt > Date.now() ? `Bearer ${cached.value}` : undefined;
    for (let round = 0; ; round++) {
      const controller = new AbortController();
      const timer = setTimeout(
        () =>
          controller.abort(
            new UpstreamError(`the upstream did not answer within ${this.options.timeoutMs} ms`, 'timeout'),
          ),
        this.options.timeoutMs,
      );
      let response: Response;
      try {
        response = await fetch(url, {
          method: init.method,
          headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
          signal: controller.signal,
        });
      } catch (err) {
        clearTimeout(timer);
        throw asUpstreamError(controller.signal.reason ?? err);
      }
      if (response.ok) {
        // From here the caller's reads keep the controller; the header time-out is over.
        clearTimeout(timer);
        return { response, controller, done: () => undefined };
      }
      clearTimeout(timer);
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 401 && round === 0) {
        authorization = await this.answerChallenge(response.headers.get('www-authenticate'), endpoint, scope, tokenKey);
        if (authorization) continue;
      }
      throw new UpstreamError(
        `the upstream answered ${response.status} to ${init.method} ${url.pathname}`,
        response.status === 401 || response.status === 403 ? 'unauthorized' : 'status',
        response.status,
      );
    }
  }

  private async answerChallenge(
    challenge: string | null,
    endpoint: UpstreamEndpoint,
    scope: string,
    tokenKey: string,
  ): Promise<string | undefined> {
    const credential = endpoint.credential;
    const basic = credential
      ? `Basic ${Buffer.from(`${credential.username}:${credential.accessToken}`).toString('base64')}`
      : undefined;
    if (!challenge) return basic;
    const scheme = challenge.trim().split(/\s+/, 1)[0]!.toLowerCase();
    if (scheme === 'basic') return basic;
    if (scheme !== 'bearer') return undefined;
    const params = challengeParams(challenge.trim().slice(scheme.length));
    if (!params.realm) return undefined;
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    const wanted = params.scope ?? scope;
    if (wanted) realm.searchParams.set('scope', wanted);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const response = await fetch(realm, {
        headers: basic ? { authorization: basic } : {},
        signal: controller.signal,
      });
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new UpstreamError(
          `the upstream's token service answered ${response.status}`,
          'unauthorized',
          response.status,
        );
      }
      const json = (await response.json()) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
      const token = typeof json.token === 'string' ? json.token : json.access_token;
      if (typeof token !== 'string' || !token)
        throw new UpstreamError("the upstream's token service gave no token", 'unauthorized');
      const lifetime = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 60;
      // Renewed a little early, so a token never expires between being picked and being used.
      this.tokens.set(tokenKey, { value: token, expiresAt: Date.now() + Math.max(lifetime - 10, 1) * 1000 });
      return `Bearer ${token}`;
    } catch (err) {
      throw asUpstreamError(err);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"` → its parameters. */
export function challengeParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[match[1]!.toLowerCase()] = (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return params;
}

function mediaTypeOf(contentType: string | null, bytes: Buffer): string {
  const declared = contentType?.split(';')[0]?.trim().toLowerCase();
  if (declared && declared !== 'application/json' && declared !== 'text/plain') return declared;
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
    if (typeof parsed.mediaType === 'string') return parsed.mediaType;
  } catch {
    // parseManifest reports it.
  }
  return declared ?? mediaTypes.ociManifest;
}

function asUpstreamError(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  return new UpstreamError(`the upstream is unreachable: ${cause ?? (err as Error).message}`, 'unreachable');
}
