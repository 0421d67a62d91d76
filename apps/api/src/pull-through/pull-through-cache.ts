import { randomUUID, createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Request, Response } from 'express';
import {
  AccessDeniedException,
  ImageNotFoundException,
  InvalidLayerException,
  LayersNotFoundException,
  RangeNotSatisfiableError,
  isRefusal,
  parseImageReference,
  parseManifest,
  type ImageReference,
} from '@longshore/domain';
import { linkRetainedLayer, objectEncryptionOf, type BlobIndex, type LayerStore } from '@longshore/metadata';
import type { ByteRange, StorageDriver } from '@longshore/storage';
import type { Logger } from '@longshore/telemetry';
import { sendBlob, type BlobDelivery } from '../http/send-blob.js';
import type { ImageService } from '../images/image-service.js';
import type { ManifestContent, ManifestHead } from '../images/image-service-types.js';
import type { RepositoryService } from '../repositories/repository-service.js';
import type { FetchLease, FetchSubject } from './fetch-lease.js';
import type { PullThroughEvents } from './pull-through-events.js';
import type { PullThroughMetrics } from './pull-through-metrics.js';
import { matchRule, upstreamBaseUrl, type UpstreamTarget } from './pull-through-rule.js';
import type { PullThroughRuleStore } from './pull-through-rule-store.js';
import type { TagFreshness } from './tag-freshness.js';
import type { UpstreamCredentials } from './upstream-credentials.js';
import { UpstreamError } from './upstream-error.js';
import type { UpstreamEndpoint, UpstreamRegistry } from './upstream-registry.js';

/** What the caller may do beyond pulling: import from the upstream (ecr:BatchImportUpstreamImage). */
export interface PullAccess {
  importAllowed: boolean;
}

export interface PullThroughCacheDeps {
  rules: Pick<PullThroughRuleStore, 'list'>;
  credentials: UpstreamCredentials;
  upstream: UpstreamRegistry;
  images: Pick<ImageService, 'getManifest' | 'headManifest' | 'storeUpstream'>;
  repositories: Pick<RepositoryService, 'getOrCreate'>;
  layers: Pick<LayerStore, 'link' | 'unlink'>;
  blobs: Pick<BlobIndex, 'locate' | 'retain' | 'claim'>;
  storage: StorageDriver;
  lease: Pick<FetchLease, 'acquire' | 'held'>;
  freshness: TagFreshness;
  metrics: PullThroughMetrics;
  events: PullThroughEvents;
  registryId: string;
  delivery?: BlobDelivery;
  log: Logger;
}

/** How often a reader waiting on another process's fetch looks whether it is done. */
const WAIT_POLL_MS = 25;

/**
 * The pull-through cache: the hook the image and blob reads call when a repository falls under a
 * pull-through cache rule. A manifest that is not cached (or a tag not checked against the
 * upstream for PULL_THROUGH_TAG_TTL_SECONDS) is fetched from the upstream and stored as an
 * ordinary image; a blob is fetched on first request and streamed to the client while it is
 * stored, published only once its digest is verified, by one fetch across every process (a Redis
 * lease; the others wait for it). When the upstream fails or is slow, what is cached is served.
 */
export class PullThroughCache {
  constructor(private readonly deps: PullThroughCacheDeps) {}

  /** The rule `repositoryName` falls under, if any. */
  async target(repositoryName: string): Promise<UpstreamTarget | undefined> {
    return matchRule(await this.deps.rules.list(), repositoryName);
  }

  getManifest(repositoryName: string, reference: string, access: PullAccess): Promise<ManifestContent> {
    return this.manifest(repositoryName, reference, access, () =>
      this.deps.images.getManifest(repositoryName, reference),
    );
  }

  headManifest(repositoryName: string, reference: string, access: PullAccess): Promise<ManifestHead> {
    return this.manifest(repositoryName, reference, access, () =>
      this.deps.images.headManifest(repositoryName, reference),
    );
  }

  /**
   * Brings in the manifests `references` name (tags or digests) when the repository falls under
   * a rule, as a pull of each would (ECR's BatchGetImage). What cannot be brought in is left for
   * the caller to report as not found.
   */
  async prefetch(repositoryName: string, references: string[], access: PullAccess): Promise<void> {
    if (!(await this.target(repositoryName))) return;
    for (const reference of references) {
      if (!reference) continue;
      await this.manifest(repositoryName, reference, access, () =>
        this.deps.images.headManifest(repositoryName, reference),
      ).catch(() => undefined);
    }
  }

  /**
   * Answers a blob the repository does not hold yet (`notFound` is the error to throw when no rule
   * covers the repository): linked from the blob store when another repository cached it, else
   * fetched from the upstream.
   */
  async serveBlob(
    x: { req: Request; res: Response; signal: AbortSignal },
    repositoryName: string,
    digest: string,
    access: PullAccess,
    notFound: Error,
  ): Promise<void> {
    const target = await this.target(repositoryName);
    if (!target) throw notFound;
    if (!access.importAllowed) throw importDenied(repositoryName);
    for (;;) {
      const location = await this.deps.blobs.locate(digest);
      if (location) {
        const size = (await this.deps.storage.statBlob(location)).size;
        if (!(await this.link(repositoryName, digest, size))) continue;
        this.deps.metrics.hits.inc({ kind: 'blob' });
        await sendBlob(x.req, x.res, this.deps.storage, { digest, size, location }, this.deps.delivery);
        return;
      }
      if (x.req.method === 'HEAD') {
        const size = await this.upstreamCall(
          () => this.deps.upstream.headBlob(this.endpoint(target), digest),
          notFound,
        );
        x.res.status(200).set({
          'Content-Type': 'application/octet-stream',
          'Docker-Content-Digest': digest,
          ...(size !== undefined ? { 'Content-Length': String(size) } : {}),
        });
        x.res.end();
        return;
      }
      const lease = await this.deps.lease.acquire({ kind: 'blob', digest });
      if (lease) {
        try {
          // Published meanwhile by the holder of the lease before ours: serve that.
          if (await this.deps.blobs.locate(digest)) continue;
          await this.fetchBlob(x, target, repositoryName, digest, notFound);
        } finally {
          await lease.release();
        }
        return;
      }
      await this.waitForFetch(digest, x.signal);
      if (x.signal.aborted) return;
    }
  }

  // ---- manifests ------------------------------------------------------------------------------

  /**
   * A manifest read under a rule. What is cached is served while it is fresh (a digest always is;
   * a tag for PULL_THROUGH_TAG_TTL_SECONDS after it was last checked). Otherwise one request
   * across every API process asks the upstream (the lease on the repository's reference), and
   * the others wait for what it stores instead of asking too: two processes must not both
   * decide "not cached, upstream failed" while the other one is storing it. A stale tag is
   * served as it is while another request re-checks it.
   */
  private async manifest<T>(
    repositoryName: string,
    reference: string,
    access: PullAccess,
    local: () => Promise<T>,
  ): Promise<T> {
    const target = await this.target(repositoryName);
    if (!target) return local();
    const cachedNow = () =>
      local().catch((err: unknown) => {
        if (isRefusal(err, 'REPOSITORY_NOT_FOUND') || err instanceof ImageNotFoundException) return undefined;
        throw err;
      });
    const ref = parseImageReference(reference);
    const fresh = async (cached: T | undefined) =>
      cached !== undefined && (ref.kind === 'digest' || (await this.deps.freshness.isFresh(repositoryName, ref.tag)));
    const subject: FetchSubject = { kind: 'manifest', repositoryName, reference };
    let cached = await cachedNow();
    if (await fresh(cached)) {
      this.deps.metrics.hits.inc({ kind: 'manifest' });
      return cached!;
    }
    if (!access.importAllowed) {
      if (cached) return cached;
      throw importDenied(repositoryName);
    }
    let lease = await this.deps.lease.acquire(subject);
    if (!lease) {
      if (cached) return cached;
      await this.waitForLease(subject);
      cached = await cachedNow();
      if (cached) {
        this.deps.metrics.hits.inc({ kind: 'manifest' });
        return cached;
      }
      // The other request ended without storing it (the upstream failed it): one more try of our own.
      lease = await this.deps.lease.acquire(subject);
    }
    try {
      // Stored meanwhile by the request that held the lease before ours.
      const stored = await cachedNow();
      if (await fresh(stored)) {
        this.deps.metrics.hits.inc({ kind: 'manifest' });
        return stored!;
      }
      cached = stored ?? cached;
      await this.refresh(target, repositoryName, ref, (cached as { digest?: string } | undefined)?.digest);
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      this.deps.metrics.upstreamErrors.inc({ reason: err.reason });
      cached ??= await cachedNow();
      if (cached) {
        // The upstream is down or slow: what is cached is served (and asked about again next time).
        this.deps.log.warn(
          { repositoryName, reference, reason: err.message },
          'upstream failed; serving the cached image',
        );
        return cached;
      }
      throw new ImageNotFoundException(
        `The image '${reference}' is not cached in '${repositoryName}', and the upstream could not provide it: ${err.message}`,
      );
    } finally {
      await lease?.release();
    }
    return local();
  }

  /** Asks the upstream where `ref` points and stores what it answers (an index with its child manifests). */
  private async refresh(
    target: UpstreamTarget,
    repositoryName: string,
    ref: ImageReference,
    cachedDigest: string | undefined,
  ): Promise<void> {
    const endpoint = this.endpoint(target);
    if (ref.kind === 'tag' && cachedDigest) {
      const head = await this.deps.upstream.headManifest(endpoint, ref.tag);
      if (head?.digest === cachedDigest) {
        await this.deps.freshness.checked(repositoryName, ref.tag);
        this.deps.metrics.hits.inc({ kind: 'manifest' });
        return;
      }
    }
    this.deps.metrics.misses.inc({ kind: 'manifest' });
    const fetched = await this.deps.upstream.manifest(endpoint, ref.kind === 'tag' ? ref.tag : ref.digest);
    const parsed = parseManifestFromUpstream(fetched.bytes, fetched.mediaType);
    // An index is stored with its child manifests (small; their blobs come as clients ask for them).
    await Promise.all(
      [...new Set(parsed.manifests.map((m) => m.digest))].map(async (child) => {
        const stored = await this.deps.images.headManifest(repositoryName, child).catch(() => undefined);
        if (stored) return;
        const manifest = await this.deps.upstream.manifest(endpoint, child);
        await this.deps.images.storeUpstream(repositoryName, manifest.bytes, manifest.mediaType);
      }),
    );
    const tag = ref.kind === 'tag' ? ref.tag : undefined;
    await this.deps.images.storeUpstream(repositoryName, fetched.bytes, fetched.mediaType, tag);
    if (tag !== undefined) await this.deps.freshness.checked(repositoryName, tag);
    this.deps.events.pulledThrough({
      rule: target.rule,
      repositoryName,
      upstreamRepository: target.upstreamRepository,
      imageDigest: fetched.digest,
      ...(tag !== undefined ? { imageTag: tag } : {}),
    });
  }

  // ---- blobs ----------------------------------------------------------------------------------

  /**
   * Fetches a blob from the upstream into storage and to the client at once. The last chunk is
   * held back until the digest is verified: a client never receives the whole of a blob that
   * turned out corrupt (its connection is cut instead), and nothing corrupt is published.
   *
   * A `Range` is answered from the same single fetch: the whole blob is fetched and stored (what
   * is cached is always whole, and the upstream is asked once), and the client gets 206 with the
   * bytes it asked for as they pass. Its last bytes wait for the digest check like any answer's,
   * so a range near the start of a large blob completes when the whole blob is verified. An
   * upstream that does not say the blob's size gets the whole blob (200), as RFC 9110 allows.
   */
  private async fetchBlob(
    x: { req: Request; res: Response },
    target: UpstreamTarget,
    repositoryName: string,
    digest: string,
    notFound: Error,
  ): Promise<void> {
    const { storage, metrics } = this.deps;
    const blob = await this.upstreamCall(() => this.deps.upstream.blob(this.endpoint(target), digest), notFound);
    const { res } = x;
    let range: ByteRange | undefined;
    try {
      range = requestedRange(x.req, blob.size);
    } catch (err) {
      blob.cancel();
      if (err instanceof RangeNotSatisfiableError) res.set('Content-Range', `bytes */${blob.size}`);
      throw err;
    }
    metrics.misses.inc({ kind: 'blob' });
    const repository = await this.deps.repositories.getOrCreate(repositoryName);
    const session = await storage.createUpload(randomUUID(), { encryption: objectEncryptionOf(repository) });
    const toStorage = new PassThrough({ highWaterMark: 1024 * 1024 });
    const writing = storage.writePart(session, 1, toStorage, blob.size);
    writing.catch(() => undefined); // awaited below; a failure ends the copy loop first
    let clientOpen = !res.destroyed;
    res.once('close', () => {
      clientOpen = false;
    });
    res.set({ 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest });
    if (range) {
      res.status(206).set({
        'Content-Range': `bytes ${range.start}-${range.end}/${blob.size}`,
        'Content-Length': String(range.end - range.start + 1),
      });
    } else {
      res.status(200).set(blob.size !== undefined ? { 'Content-Length': String(blob.size) } : {});
    }
    if (blob.size !== undefined) res.set('Accept-Ranges', 'bytes');
    const hash = createHash('sha256');
    let bytes = 0;
    let held: Uint8Array | undefined;
    try {
      for await (const chunk of blob.body) {
        hash.update(chunk);
        const offset = bytes;
        bytes += chunk.length;
        metrics.upstreamBytes.inc(chunk.length);
        if (blob.size !== undefined && bytes > blob.size) {
          throw new UpstreamError(`the upstream sent more than the ${blob.size} bytes it announced`, 'invalid');
        }
        if (!toStorage.write(chunk)) await Promise.race([once(toStorage, 'drain'), writing]);
        const piece = range ? slicedTo(chunk, offset, range) : chunk;
        if (piece.length === 0) continue;
        if (held && clientOpen && !res.write(held)) await drainOrClose(res);
        held = piece;
      }
      toStorage.end();
      const written = await writing;
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest || (blob.size !== undefined && bytes !== blob.size)) {
        throw new UpstreamError(
          `the upstream blob ${digest} has ${bytes} bytes of digest ${actual}; it is refused`,
          'digest-mismatch',
        );
      }
      const location = await storage.completeUpload(session, [written], digest);
      const kept = await this.deps.blobs.claim(digest, location, bytes);
      if (kept !== location) await storage.deleteBlob(location);
      await this.link(repositoryName, digest, bytes);
      await storage.abortUpload(session);
    } catch (err) {
      blob.cancel();
      toStorage.destroy();
      await writing.catch(() => undefined);
      await storage.abortUpload(session).catch(() => undefined);
      if (err instanceof UpstreamError) {
        metrics.upstreamErrors.inc({ reason: err.reason });
        this.deps.log.warn({ repositoryName, digest, reason: err.message }, 'upstream blob refused');
        // Headers not sent yet: a clean error; else the router cuts the connection.
        throw new InvalidLayerException(`The upstream blob '${digest}' could not be cached: ${err.message}`);
      }
      throw err;
    }
    if (held && clientOpen) res.write(held);
    res.end();
  }

  /** Waits until the blob is published, or the fetch holding the lease ended without it. */
  private async waitForFetch(digest: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      if (await this.deps.blobs.locate(digest)) return;
      if (!(await this.deps.lease.held({ kind: 'blob', digest }))) return;
    }
  }

  /** Waits until the fetch holding the lease on `subject` has ended (it is bounded by the upstream time-outs). */
  private async waitForLease(subject: FetchSubject): Promise<void> {
    do {
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    } while (await this.deps.lease.held(subject));
  }

  /**
   * Links a cached blob into the repository (idempotent) in the one GC-safe order
   * (linkRetainedLayer: retain, link, retain again). False when a garbage collection is deleting
   * the blob: nothing stays linked, and the caller looks for the blob again.
   */
  private async link(repositoryName: string, digest: string, size: number): Promise<boolean> {
    await this.deps.repositories.getOrCreate(repositoryName);
    try {
      return await linkRetainedLayer(this.deps, repositoryName, this.deps.registryId, digest, {
        size,
        uploadId: 'pull-through',
        linkedAt: Date.now(),
      });
    } catch (err) {
      if (!isRefusal(err, 'LAYER_EXISTS')) throw err;
      return true;
    }
  }

  private endpoint(target: UpstreamTarget): UpstreamEndpoint {
    const arn = target.rule.credentialArn;
    const credential = arn ? this.deps.credentials.get(arn) : undefined;
    return {
      baseUrl: upstreamBaseUrl(target.rule.upstreamRegistryUrl),
      repository: target.upstreamRepository,
      ...(credential ? { credential } : {}),
    };
  }

  /** An upstream call whose failure is counted and answered as `notFound` (404) or a not-found with its reason. */
  private async upstreamCall<T>(call: () => Promise<T>, notFound: Error): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      this.deps.metrics.upstreamErrors.inc({ reason: err.reason });
      if (err.notFound) throw notFound;
      throw new LayersNotFoundException(`${notFound.message}; the upstream could not provide it: ${err.message}`);
    }
  }
}

function parseManifestFromUpstream(bytes: Buffer, mediaType: string) {
  try {
    return parseManifest(bytes, mediaType);
  } catch (err) {
    throw new UpstreamError(`the upstream manifest is not one Longshore stores: ${(err as Error).message}`, 'invalid');
  }
}

function importDenied(repositoryName: string): AccessDeniedException {
  return new AccessDeniedException(
    `Pulling '${repositoryName}' through its pull-through cache rule needs ecr:BatchImportUpstreamImage on it`,
  );
}

/**
 * The one byte range a GET asks for, within a blob of `size` bytes, as the blob reads answer it:
 * none for no `Range`, another unit, several ranges or an unknown size (the whole blob);
 * RangeNotSatisfiableError when no byte of the blob is in it.
 */
function requestedRange(req: Request, size: number | undefined): ByteRange | undefined {
  if (size === undefined || !/^bytes=/i.test(req.headers.range ?? '')) return undefined;
  const ranges = req.range(size);
  if (ranges === -1) {
    throw new RangeNotSatisfiableError('No byte of the blob is in the requested range', { size });
  }
  return Array.isArray(ranges) && ranges.length === 1 ? { start: ranges[0]!.start, end: ranges[0]!.end } : undefined;
}

/** The part of `chunk` (at `offset` in the blob) inside `range` (inclusive ends). */
function slicedTo(chunk: Uint8Array, offset: number, range: ByteRange): Uint8Array {
  const from = Math.max(0, range.start - offset);
  const to = Math.min(chunk.length, range.end + 1 - offset);
  return to > from ? chunk.subarray(from, to) : chunk.subarray(0, 0);
}

function drainOrClose(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
