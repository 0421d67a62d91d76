import {
  InvalidParameterException,
  InvalidTagParameterException,
  TooManyTagsException,
  isRefusal,
} from '@longshore/domain';
import type { RepositoryPage, RepositoryRecord, RepositoryStore } from '@longshore/metadata';

/** The repository vocabulary the doors speak, from the service (doors do not import the stores). */
export type { RepositoryRecord };

export interface CreateRepositoryRequest {
  repositoryName: string;
  imageTagMutability?: string;
  imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
  imageScanningConfiguration?: { scanOnPush?: boolean };
  encryptionConfiguration?: { encryptionType: string; kmsKey?: string };
  tags?: { Key: string; Value: string }[];
}

const MAX_TAGS = 50;

/** Repositories of the one registry this deployment serves. */
export class RepositoryService {
  constructor(
    private readonly deps: {
      repositories: RepositoryStore;
      registryId: string;
      /** The storage driver's name: the filesystem store cannot encrypt with KMS, so it refuses it. */
      storageName?: string;
    },
  ) {}

  /** The registry a request addresses: the one served here, or an InvalidParameterException. */
  registryId(requested: string | undefined): string {
    if (requested !== undefined && requested !== this.deps.registryId) {
      throw new InvalidParameterException(
        `Invalid parameter at 'registryId': this registry serves registry id '${this.deps.registryId}', not '${requested}'`,
      );
    }
    return this.deps.registryId;
  }

  create(request: CreateRepositoryRequest, now = Date.now()): Promise<RepositoryRecord> {
    if ((request.tags?.length ?? 0) > MAX_TAGS) {
      throw new InvalidParameterException(`A repository may have at most ${MAX_TAGS} tags`);
    }
    if (request.encryptionConfiguration?.kmsKey && request.encryptionConfiguration.encryptionType === 'AES256') {
      throw new InvalidParameterException(
        "Invalid parameter at 'encryptionConfiguration': kmsKey requires KMS encryption",
      );
    }
    const kms = request.encryptionConfiguration?.encryptionType.startsWith('KMS') ?? false;
    if (kms && this.deps.storageName === 'filesystem') {
      throw new InvalidParameterException(
        "Invalid parameter at 'encryptionConfiguration': KMS encryption needs the S3 store (STORAGE=s3); the filesystem store cannot encrypt with a KMS key. Use AES256 or leave encryptionConfiguration out",
      );
    }
    checkExclusionFilters(request.imageTagMutability ?? 'MUTABLE', request.imageTagMutabilityExclusionFilters);
    return this.deps.repositories.create({
      repositoryName: request.repositoryName,
      registryId: this.deps.registryId,
      createdAt: now,
      imageTagMutability: request.imageTagMutability ?? 'MUTABLE',
      ...(request.imageTagMutabilityExclusionFilters
        ? { imageTagMutabilityExclusionFilters: request.imageTagMutabilityExclusionFilters }
        : {}),
      imageScanningConfiguration: { scanOnPush: request.imageScanningConfiguration?.scanOnPush ?? false },
      encryptionConfiguration: request.encryptionConfiguration ?? { encryptionType: 'AES256' },
      // Named: S3 server-side encryption as it says; left out: the bucket's default (see objectEncryptionOf).
      ...(request.encryptionConfiguration ? { encryptionRequested: true } : {}),
      ...(request.tags ? { tags: request.tags } : {}),
    });
  }

  require(repositoryName: string): Promise<RepositoryRecord> {
    return this.deps.repositories.require(repositoryName, this.deps.registryId);
  }

  /** The named repositories, or a page of those `visible` keeps (filtered before paging). */
  describe(
    names: string[] | undefined,
    limit: number,
    after?: string,
    visible?: (repositoryName: string) => boolean,
  ): Promise<RepositoryPage> {
    if (names)
      return this.deps.repositories.getMany(names, this.deps.registryId).then((repositories) => ({ repositories }));
    return this.deps.repositories.list(limit, after, visible);
  }

  /** Create-on-push: the repository, created with default settings if it does not exist yet. */
  async getOrCreate(repositoryName: string): Promise<RepositoryRecord> {
    const existing = await this.deps.repositories.get(repositoryName);
    if (existing) return existing;
    try {
      return await this.create({ repositoryName });
    } catch (err) {
      // Two pushes creating the same repository: the other one won, which is as good.
      if (isRefusal(err, 'REPOSITORY_ALREADY_EXISTS')) return this.require(repositoryName);
      throw err;
    }
  }

  /** PutImageTagMutability: replaces the repository's tag mutability setting. */
  async setTagMutability(
    repositoryName: string,
    imageTagMutability: string,
    exclusionFilters?: { filterType: string; filter: string }[],
  ): Promise<RepositoryRecord> {
    const withExclusion = checkExclusionFilters(imageTagMutability, exclusionFilters);
    const { imageTagMutabilityExclusionFilters: _previous, ...record } = await this.require(repositoryName);
    return this.deps.repositories.update({
      ...record,
      imageTagMutability,
      ...(withExclusion ? { imageTagMutabilityExclusionFilters: exclusionFilters } : {}),
    });
  }

  // ---- resource tags (TagResource, UntagResource, ListTagsForResource) ------------------------

  /** The repository a resource ARN names, in this registry; InvalidParameterException otherwise. */
  async requireResource(resourceArn: string): Promise<RepositoryRecord> {
    const match = /^arn:aws[a-z-]*:ecr:[a-z0-9-]*:([0-9]{12}):repository\/(.+)$/.exec(resourceArn);
    if (!match) {
      throw new InvalidParameterException(
        `Invalid parameter at 'resourceArn': '${resourceArn.slice(0, 300)}' is not the ARN of a repository`,
      );
    }
    this.registryId(match[1]);
    return this.require(match[2]!);
  }

  /** TagResource: adds tags, replacing the values of keys it already has. */
  async tagResource(resourceArn: string, tags: { Key: string; Value: string }[]): Promise<RepositoryRecord> {
    for (const tag of tags) checkTag(tag.Key, tag.Value);
    const record = await this.requireResource(resourceArn);
    const merged = new Map((record.tags ?? []).map((t) => [t.Key, t.Value]));
    for (const tag of tags) merged.set(tag.Key, tag.Value);
    if (merged.size > MAX_TAGS) {
      throw new TooManyTagsException(
        `A repository may have at most ${MAX_TAGS} tags; this would give it ${merged.size}`,
      );
    }
    return this.deps.repositories.update({ ...record, tags: [...merged].map(([Key, Value]) => ({ Key, Value })) });
  }

  /** UntagResource: removes the tags with these keys (keys it does not have are ignored, as ECR does). */
  async untagResource(resourceArn: string, tagKeys: string[]): Promise<RepositoryRecord> {
    for (const key of tagKeys) checkTag(key, '');
    const record = await this.requireResource(resourceArn);
    const removed = new Set(tagKeys);
    const { tags: _previous, ...rest } = record;
    const kept = (record.tags ?? []).filter((t) => !removed.has(t.Key));
    return this.deps.repositories.update({ ...rest, ...(kept.length > 0 ? { tags: kept } : {}) });
  }

  delete(repositoryName: string, force: boolean): Promise<RepositoryRecord> {
    return this.deps.repositories.delete(repositoryName, this.deps.registryId, force);
  }
}

/**
 * Exclusion filters go with, and only with, IMMUTABLE_WITH_EXCLUSION and MUTABLE_WITH_EXCLUSION.
 * Returns whether the setting uses them.
 */
function checkExclusionFilters(imageTagMutability: string, filters: unknown[] | undefined): boolean {
  const withExclusion = imageTagMutability.endsWith('_WITH_EXCLUSION');
  if (withExclusion !== (filters !== undefined && filters.length > 0)) {
    throw new InvalidParameterException(
      withExclusion
        ? `Invalid parameter at 'imageTagMutabilityExclusionFilters': ${imageTagMutability} requires exclusion filters`
        : `Invalid parameter at 'imageTagMutabilityExclusionFilters': exclusion filters require IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION`,
    );
  }
  return withExclusion;
}

/** AWS tag rules: keys of 1–128 characters, values of 0–256, not starting with `aws:`. */
function checkTag(key: string, value: string): void {
  if (key.length < 1 || key.length > 128 || value.length > 256 || key.toLowerCase().startsWith('aws:')) {
    throw new InvalidTagParameterException(
      `Invalid tag: keys must have 1 to 128 characters and may not start with 'aws:'; values at most 256 characters (key '${key.slice(0, 128)}')`,
    );
  }
  if (!TAG_CHARACTERS.test(key) || !TAG_CHARACTERS.test(value)) {
    throw new InvalidTagParameterException(
      `Invalid tag: keys and values may contain only letters, digits, spaces and _ . : / = + - @ (key '${key.slice(0, 128)}')`,
    );
  }
}

const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
