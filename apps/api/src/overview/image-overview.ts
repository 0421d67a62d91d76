import { ImageNotFoundException, InvalidParameterException } from '@longshore/domain';
import type { ImageRecord, ImageStore } from '@longshore/metadata';
import type { StorageDriver } from '@longshore/storage';
import { describeImagePage } from '../images/image-listings.js';
import type { EcrImageDetail } from '../images/image-service-types.js';
import type { ImageService } from '../images/image-service.js';
import type { LayerService } from '../layers/layer-service.js';
import type { RepositoryService } from '../repositories/repository-service.js';

/** One entry of an index: a platform's manifest. */
export interface PlatformEntry {
  digest: string;
  mediaType: string;
  size: number;
  /** `os/architecture[/variant]`, or undefined when the index names no platform (an attestation, say). */
  platform?: string;
}

/** A descriptor the manifest names: its config or a layer. */
export interface BlobEntry {
  digest: string;
  mediaType: string;
  size: number;
}

/** One image of a repository's page, as DescribeImages lists it, with when it was last pulled. */
export interface ImageRow extends EcrImageDetail {
  /** Epoch ms of the last recorded pull (lastRecordedPullTime). */
  lastPulledAt?: number;
  /** An index's platforms. */
  platforms?: string[];
}

export interface ImageRowPage {
  images: ImageRow[];
  nextToken?: string;
}

/** An image as its console page shows it. */
export interface ImageDetail {
  repositoryName: string;
  record: ImageRecord;
  tags: string[];
  /** The manifest as pushed, pretty-printed when it is JSON. */
  manifest: string;
  config?: BlobEntry;
  /** The config blob's JSON, pretty-printed, when it is small enough to show. */
  configJson?: string;
  layers: BlobEntry[];
  platforms: PlatformEntry[];
  referrers: ImageRecord[];
  lastPulledAt?: number;
}

/** The largest config blob the console shows whole. */
const MAX_SHOWN_CONFIG = 256 * 1024;

export interface ImageOverviewDeps {
  repositories: RepositoryService;
  images: ImageService;
  imageStore: Pick<ImageStore, 'getManifest' | 'tagsOf' | 'referrers' | 'pullTimes'>;
  layers: LayerService;
  storage: Pick<StorageDriver, 'blobReader'>;
}

/** Read-only facts about images for the web console. */
export class ImageOverview {
  constructor(private readonly deps: ImageOverviewDeps) {}

  /**
   * A page of a repository's images, from the listing DescribeImages pages through (its
   * `nextToken`s), with last pulls and the platforms of indexes.
   */
  async list(repositoryName: string, maxResults: number, nextToken?: string): Promise<ImageRowPage> {
    await this.deps.repositories.require(repositoryName);
    const page = await describeImagePage(this.deps.images.scopeOf(repositoryName), {
      maxResults,
      ...(nextToken !== undefined ? { nextToken } : {}),
    });
    const details = await this.deps.images.withPullTimes(repositoryName, page.imageDetails);
    const images = await Promise.all(
      details.map(async (detail): Promise<ImageRow> => {
        const platforms = isIndex(detail.imageManifestMediaType)
          ? await this.platformsOf(repositoryName, detail.imageDigest)
          : undefined;
        const pulled = detail.lastRecordedPullTime === undefined ? undefined : detail.lastRecordedPullTime * 1000;
        return {
          ...detail,
          ...(pulled !== undefined ? { lastPulledAt: pulled } : {}),
          ...(platforms ? { platforms: platforms.map((p) => p.platform ?? 'unknown') } : {}),
        };
      }),
    );
    return { images, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /** One image by digest, or ImageNotFoundException / RepositoryNotFoundException. */
  async image(repositoryName: string, digest: string): Promise<ImageDetail> {
    const { registryId } = this.deps.images;
    await this.deps.repositories.require(repositoryName);
    if (!/^sha(256|512):[a-f0-9]{64,128}$/.test(digest)) {
      throw new InvalidParameterException(`'${digest.slice(0, 200)}' is not an image digest`);
    }
    const found = await this.deps.imageStore.getManifest(repositoryName, digest);
    if (!found) {
      throw new ImageNotFoundException(
        `The image with imageDigest '${digest}' does not exist within the repository with name '${repositoryName}' in the registry with id '${registryId}'`,
      );
    }
    const [[tags], referrers, [lastPulledAt]] = await Promise.all([
      this.deps.imageStore.tagsOf(repositoryName, [digest]),
      this.deps.imageStore.referrers(repositoryName, digest),
      this.deps.imageStore.pullTimes(repositoryName, [digest]),
    ]);
    const parsed = parseJson(found.bytes);
    const document = (parsed ?? {}) as ManifestDocument;
    const config = descriptorOf(document.config);
    const configJson = config ? await this.configJson(repositoryName, config) : undefined;
    return {
      repositoryName,
      record: found.record,
      tags: tags ?? [],
      manifest: parsed === undefined ? found.bytes.toString('utf8') : JSON.stringify(parsed, null, 2),
      ...(config ? { config } : {}),
      ...(configJson !== undefined ? { configJson } : {}),
      layers: (document.layers ?? []).map(descriptorOf).filter((d): d is BlobEntry => d !== undefined),
      platforms: platformsOf(document),
      referrers,
      ...(lastPulledAt !== undefined ? { lastPulledAt } : {}),
    };
  }

  private async platformsOf(repositoryName: string, digest: string): Promise<PlatformEntry[]> {
    const found = await this.deps.imageStore.getManifest(repositoryName, digest);
    return found ? platformsOf((parseJson(found.bytes) ?? {}) as ManifestDocument) : [];
  }

  /** The config blob's JSON, pretty-printed; undefined when it is large, missing or not JSON. */
  private async configJson(repositoryName: string, config: BlobEntry): Promise<string | undefined> {
    if (config.size > MAX_SHOWN_CONFIG) return undefined;
    try {
      const blob = await this.deps.layers.requireBlob(repositoryName, this.deps.images.registryId, config.digest);
      const chunks: Buffer[] = [];
      for await (const chunk of await this.deps.storage.blobReader(blob.location)) chunks.push(chunk as Buffer);
      const parsed = parseJson(Buffer.concat(chunks));
      return parsed === undefined ? undefined : JSON.stringify(parsed, null, 2);
    } catch {
      // A config the repository does not hold (a pull-through image not pulled yet): shown as a descriptor only.
      return undefined;
    }
  }
}

interface ManifestDocument {
  config?: unknown;
  layers?: unknown[];
  manifests?: unknown[];
}

function isIndex(mediaType: string): boolean {
  return mediaType.endsWith('.index.v1+json') || mediaType.endsWith('.manifest.list.v2+json');
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function descriptorOf(value: unknown): BlobEntry | undefined {
  const d = value as { digest?: unknown; mediaType?: unknown; size?: unknown } | undefined;
  if (!d || typeof d.digest !== 'string') return undefined;
  return {
    digest: d.digest,
    mediaType: typeof d.mediaType === 'string' ? d.mediaType : '',
    size: typeof d.size === 'number' ? d.size : 0,
  };
}

function platformsOf(document: ManifestDocument): PlatformEntry[] {
  return (document.manifests ?? []).flatMap((entry) => {
    const descriptor = descriptorOf(entry);
    if (!descriptor) return [];
    const p = (entry as { platform?: { os?: unknown; architecture?: unknown; variant?: unknown } }).platform;
    const parts = p
      ? [p.os, p.architecture, p.variant].filter((v): v is string => typeof v === 'string' && v !== '')
      : [];
    return [{ ...descriptor, ...(parts.length > 0 ? { platform: parts.join('/') } : {}) }];
  });
}
