import type { Cluster, Redis } from 'ioredis';
import { LayerAlreadyExistsException, RepositoryNotFoundException } from '@longshore/domain';
import type { Keys } from './keys.js';
import { runScript } from './run-script.js';
import { linkLayer } from './scripts/link-layer.js';

export interface LayerLink {
  size: number;
  uploadId: string;
  linkedAt: number;
}

/** Which content-addressed blobs each repository contains. */
export class LayerStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  async get(repositoryName: string, digest: string): Promise<LayerLink | undefined> {
    const json = await this.redis.hget(this.keys.layers(repositoryName), digest);
    return json ? (JSON.parse(json) as LayerLink) : undefined;
  }

  async getMany(repositoryName: string, digests: string[]): Promise<(LayerLink | undefined)[]> {
    if (digests.length === 0) return [];
    const found = await this.redis.hmget(this.keys.layers(repositoryName), ...digests);
    return found.map((json) => (json ? (JSON.parse(json) as LayerLink) : undefined));
  }

  /** Removes a layer from a repository (its blob stays); false when it was not there. */
  async unlink(repositoryName: string, digest: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.layers(repositoryName), digest)) === 1;
  }

  /**
   * Links a finalized layer; idempotent for the upload that linked it. The repository's record is
   * another slot's than its links: checked before the link and again after it (see link-layer.ts).
   */
  async link(repositoryName: string, registryId: string, digest: string, link: LayerLink): Promise<void> {
    const gone = () =>
      new RepositoryNotFoundException(
        `The repository with name '${repositoryName}' does not exist in the registry with id '${registryId}'`,
      );
    if (!(await this.exists(repositoryName))) throw gone();
    const layers = this.keys.layers(repositoryName);
    const outcome = await runScript<string>(
      this.redis,
      linkLayer,
      [layers],
      [digest, JSON.stringify(link), link.uploadId],
    );
    if (outcome === 'EXISTS') {
      throw new LayerAlreadyExistsException(
        `The layer '${digest}' already exists in the repository with name '${repositoryName}' in registry with id '${registryId}'`,
      );
    }
    // A DeleteRepository ran meanwhile: nothing of the repository may stay behind.
    if (!(await this.exists(repositoryName))) {
      await this.redis.del(layers);
      throw gone();
    }
  }

  private async exists(repositoryName: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.repositories, repositoryName)) === 1;
  }
}
