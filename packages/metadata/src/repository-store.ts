import type { Cluster, Redis } from 'ioredis';
import { RefusedError } from '@longshore/domain';
import type { StorageMirror } from './durable/storage-mirror.js';
import { imageKeyList, type Keys } from './keys.js';
import { runScript } from './keys.js';
import { claimRepositorySlot } from './scripts/claim-repository-slot.js';
import { clearRepository } from './scripts/clear-repository.js';
import { forgetRepository } from './scripts/forget-repository.js';
import { updateRepository } from './scripts/update-repository.js';
import type { ObjectEncryption } from '@longshore/storage';

export interface RepositoryPage {
  repositories: RepositoryRecord[];
  /** The name to continue after, when more remain. */
  nextAfter?: string;
}

/**
 * The repositories. With a `mirror`, every change is also written to the storage before the
 * method returns (see durable/storage-mirror.ts).
 */
export class RepositoryStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
    private readonly mirror?: StorageMirror,
  ) {}

  /**
   * Registers a new repository. Its slot (`{repo:<name>}`) is cleared first when the name is free
   * and no other create has claimed the slot since the name was deleted: a link or image that
   * raced a DeleteRepository and whose process died before it could clean up (see link-layer.ts)
   * must not reappear in the namesake, and of two concurrent creates of one name, the loser must
   * not clear what the winner's pushes already stored (see claim-repository-slot.ts).
   */
  async create(record: RepositoryRecord): Promise<RepositoryRecord> {
    if (!(await this.redis.hexists(this.keys.repositories, record.repositoryName))) {
      await runScript(this.redis, claimRepositorySlot, this.claimedSlotKeys(record.repositoryName), []);
    }
    const created = await this.redis.hsetnx(this.keys.repositories, record.repositoryName, JSON.stringify(record));
    await this.mirror?.syncRepository(record.repositoryName);
    if (created === 0) {
      throw new RefusedError('REPOSITORY_ALREADY_EXISTS', {
        repositoryName: record.repositoryName,
        registryId: record.registryId,
      });
    }
    return record;
  }

  async get(repositoryName: string): Promise<RepositoryRecord | undefined> {
    const json = await this.redis.hget(this.keys.repositories, repositoryName);
    return json ? (JSON.parse(json) as RepositoryRecord) : undefined;
  }

  async require(repositoryName: string, registryId: string): Promise<RepositoryRecord> {
    const record = await this.get(repositoryName);
    if (!record || record.registryId !== registryId) throw notFound(repositoryName, registryId);
    return record;
  }

  async getMany(repositoryNames: string[], registryId: string): Promise<RepositoryRecord[]> {
    const found = await this.redis.hmget(this.keys.repositories, ...repositoryNames);
    return found.map((json, i) => {
      const record = json ? (JSON.parse(json) as RepositoryRecord) : undefined;
      if (!record || record.registryId !== registryId) throw notFound(repositoryNames[i]!, registryId);
      return record;
    });
  }

  /**
   * Repositories sorted by name, `limit` at a time, continuing after `after`. `include` filters
   * the names before the page is cut, so a page (and where the next one starts) never reveals
   * a name it leaves out.
   */
  async list(limit: number, after?: string, include?: (repositoryName: string) => boolean): Promise<RepositoryPage> {
    const all = (await this.redis.hkeys(this.keys.repositories)).sort();
    const names = include ? all.filter(include) : all;
    const start = after === undefined ? 0 : names.findIndex((name) => name > after);
    const slice = start < 0 ? [] : names.slice(start, start + limit);
    const records = slice.length > 0 ? await this.redis.hmget(this.keys.repositories, ...slice) : [];
    const page = records
      .filter((json): json is string => json !== null)
      .map((json) => JSON.parse(json) as RepositoryRecord);
    const more = start >= 0 && start + limit < names.length;
    return { repositories: page, nextAfter: more ? slice[slice.length - 1] : undefined };
  }

  /**
   * Deletes a repository in two steps, one per slot: clearRepository empties its slot (refusing,
   * without force, when it holds anything), then forgetRepository removes its record. A crash
   * between them leaves an empty repository that a retry deletes (see clear-repository.ts).
   */
  async delete(repositoryName: string, registryId: string, force: boolean): Promise<RepositoryRecord> {
    await this.require(repositoryName, registryId);
    const cleared = await runScript<string>(this.redis, clearRepository, this.claimedSlotKeys(repositoryName), [
      force ? '1' : '0',
    ]);
    if (cleared === 'NOT_EMPTY') {
      throw new RefusedError('REPOSITORY_NOT_EMPTY', { repositoryName, registryId });
    }
    const json = await runScript<string | null>(
      this.redis,
      forgetRepository,
      [this.keys.repositories],
      [repositoryName],
    );
    // Also when a racing delete forgot it first: the storage follows what Redis holds.
    await this.mirror?.syncRepository(repositoryName);
    if (!json) throw notFound(repositoryName, registryId);
    return JSON.parse(json) as RepositoryRecord;
  }

  /** Every key of one repository's slot: its layer links, its image keys, its recorded pulls, then its claim mark. */
  private claimedSlotKeys(repositoryName: string): string[] {
    const images = this.keys.images(repositoryName);
    return [
      this.keys.layers(repositoryName),
      ...imageKeyList(images),
      images.pulls,
      this.keys.repositoryClaim(repositoryName),
    ];
  }

  /** Stores a changed record (e.g. tag mutability) of a repository that still exists. */
  async update(record: RepositoryRecord): Promise<RepositoryRecord> {
    const outcome = await runScript<string>(
      this.redis,
      updateRepository,
      [this.keys.repositories],
      [record.repositoryName, JSON.stringify(record)],
    );
    await this.mirror?.syncRepository(record.repositoryName);
    if (outcome === 'NOT_FOUND') throw notFound(record.repositoryName, record.registryId);
    return record;
  }
}

function notFound(repositoryName: string, registryId: string): RefusedError {
  return new RefusedError('REPOSITORY_NOT_FOUND', { repositoryName, registryId });
}

/** A repository as stored (and returned by the ECR API, with ARN and URI added). */
export interface RepositoryRecord {
  repositoryName: string;
  registryId: string;
  createdAt: number;
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
  imageScanningConfiguration: { scanOnPush: boolean };
  encryptionConfiguration: { encryptionType: string; kmsKey?: string };
  /**
   * True when CreateRepository named an `encryptionConfiguration`: everything stored for the
   * repository is then written with that S3 server-side encryption. Absent (the ECR default,
   * reported as AES256): no SSE header is sent and the bucket's default encryption applies.
   */
  encryptionRequested?: boolean;
  tags?: { Key: string; Value: string }[];
}

const SERVER_SIDE_ENCRYPTION: Record<string, ObjectEncryption['serverSideEncryption']> = {
  AES256: 'AES256',
  KMS: 'aws:kms',
  KMS_DSSE: 'aws:kms:dsse',
};

/** The storage encryption of a repository's objects: its requested encryptionConfiguration, in S3's terms. */
export function objectEncryptionOf(record: RepositoryRecord): ObjectEncryption | undefined {
  if (!record.encryptionRequested) return undefined;
  const { encryptionType, kmsKey } = record.encryptionConfiguration;
  const serverSideEncryption = SERVER_SIDE_ENCRYPTION[encryptionType];
  if (!serverSideEncryption) return undefined;
  return { serverSideEncryption, ...(kmsKey && serverSideEncryption !== 'AES256' ? { kmsKeyId: kmsKey } : {}) };
}
