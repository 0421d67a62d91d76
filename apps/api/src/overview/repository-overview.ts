import type { ImageStore, LifecyclePreview, LifecycleStore, RepositoryRecord } from '@longshore/metadata';
import type { RepositoryService } from '../repositories/repository-service.js';

/** One row of the console's repository list. */
export interface RepositorySummary {
  repositoryName: string;
  createdAt: number;
  imageTagMutability: string;
  imageCount: number;
  /** The sum of the images' sizes (DescribeImages' imageSizeInBytes; layers they share count once per image). */
  totalSize: number;
  /** The repository has more images than the summary adds up (SUMMED_IMAGES): `totalSize` is a lower bound. */
  totalSizeAtLeast: boolean;
  /** Epoch ms of the newest image's push; undefined when the repository is empty. */
  lastPushedAt?: number;
  hasLifecyclePolicy: boolean;
}

/** How many images a repository's total size adds up, at most (in pages of SIZE_PAGE): the list stays fast. */
const SUMMED_IMAGES = 5000;
const SIZE_PAGE = 1000;

export interface RepositorySummaryPage {
  repositories: RepositorySummary[];
  /** The last name of this page when more follow. */
  nextAfter?: string;
}

/** A repository as its console page shows it. */
export interface RepositoryDetail {
  record: RepositoryRecord;
  summary: RepositorySummary;
  lifecyclePolicyText?: string;
  /** Epoch ms of the last evaluation that applied the policy. */
  lifecycleEvaluatedAt?: number;
  preview?: LifecyclePreview;
}

export interface RepositoryOverviewDeps {
  repositories: RepositoryService;
  images: Pick<ImageStore, 'count' | 'imagePage' | 'pushOrderChunk'>;
  lifecycle: Pick<LifecycleStore, 'get' | 'getPreview'>;
}

/**
 * Read-only facts about repositories for the web console: the same ordered repository listing
 * DescribeRepositories pages through, with each listed repository's images summed up.
 */
export class RepositoryOverview {
  constructor(private readonly deps: RepositoryOverviewDeps) {}

  /** A page of repositories in name order, only those `include` keeps (filtered before the page is cut). */
  async list(
    limit: number,
    after: string | undefined,
    include: (name: string) => boolean,
  ): Promise<RepositorySummaryPage> {
    const page = await this.deps.repositories.describe(undefined, limit, after, include);
    const repositories = await Promise.all(page.repositories.map((record) => this.summarize(record)));
    return { repositories, ...(page.nextAfter !== undefined ? { nextAfter: page.nextAfter } : {}) };
  }

  /** One repository with its lifecycle policy and latest preview, or RepositoryNotFoundException. */
  async repository(repositoryName: string): Promise<RepositoryDetail> {
    const record = await this.deps.repositories.require(repositoryName);
    const [summary, policy, preview] = await Promise.all([
      this.summarize(record),
      this.deps.lifecycle.get(repositoryName),
      this.deps.lifecycle.getPreview(repositoryName),
    ]);
    return {
      record,
      summary,
      ...(policy ? { lifecyclePolicyText: policy.text } : {}),
      ...(policy?.lastEvaluatedAt !== undefined ? { lifecycleEvaluatedAt: policy.lastEvaluatedAt } : {}),
      ...(preview ? { preview } : {}),
    };
  }

  private async summarize(record: RepositoryRecord): Promise<RepositorySummary> {
    const name = record.repositoryName;
    const [imageCount, newest, sized, policy] = await Promise.all([
      this.deps.images.count(name),
      this.deps.images.pushOrderChunk(name, 1),
      this.totalSize(name),
      this.deps.lifecycle.get(name),
    ]);
    const lastPushedAt = newest.images[0]?.pushedAt;
    return {
      repositoryName: name,
      createdAt: record.createdAt,
      imageTagMutability: record.imageTagMutability,
      imageCount,
      totalSize: sized.bytes,
      totalSizeAtLeast: sized.more,
      ...(lastPushedAt !== undefined ? { lastPushedAt } : {}),
      hasLifecyclePolicy: policy !== undefined,
    };
  }

  /** The images' sizes added up from the ordered listing, SUMMED_IMAGES at most. */
  private async totalSize(name: string): Promise<{ bytes: number; more: boolean }> {
    let bytes = 0;
    let read = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.images.imagePage(name, 'ANY', SIZE_PAGE, after);
      for (const { record } of page.images) bytes += record.imageSizeInBytes;
      read += page.images.length;
      if (!page.more || page.last === undefined) return { bytes, more: false };
      if (read >= SUMMED_IMAGES) return { bytes, more: true };
      after = page.last;
    }
  }
}
