import { InvalidParameterException, RepositoryAlreadyExistsException } from '@longshore/domain';
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
  constructor(private readonly deps: { repositories: RepositoryStore; registryId: string }) {}

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
      ...(request.tags ? { tags: request.tags } : {}),
    });
  }

  require(repositoryName: string): Promise<RepositoryRecord> {
    return this.deps.repositories.require(repositoryName, this.deps.registryId);
  }

  describe(names: string[] | undefined, limit: number, after?: string): Promise<RepositoryPage> {
    if (names)
      return this.deps.repositories.getMany(names, this.deps.registryId).then((repositories) => ({ repositories }));
    return this.deps.repositories.list(limit, after);
  }

  /** Create-on-push: the repository, created with default settings if it does not exist yet. */
  async getOrCreate(repositoryName: string): Promise<RepositoryRecord> {
    const existing = await this.deps.repositories.get(repositoryName);
    if (existing) return existing;
    try {
      return await this.create({ repositoryName });
    } catch (err) {
      // Two pushes creating the same repository: the other one won, which is as good.
      if (err instanceof RepositoryAlreadyExistsException) return this.require(repositoryName);
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
