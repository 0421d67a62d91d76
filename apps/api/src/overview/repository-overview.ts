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
  /** Epoch ms of the newest image's push; undefined when the repository is empty. */
  lastPushedAt?: number;
  hasLifecyclePolicy: boolean;
}

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
  images: Pick<ImageStore, 'all'>;
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
    const [images, policy] = await Promise.all([
      this.deps.images.all(record.repositoryName),
      this.deps.lifecycle.get(record.repositoryName),
    ]);
    let totalSize = 0;
    let lastPushedAt: number | undefined;
    for (const { record: image } of images) {
      totalSize += image.imageSizeInBytes;
      if (lastPushedAt === undefined || image.pushedAt > lastPushedAt) lastPushedAt = image.pushedAt;
    }
    return {
      repositoryName: record.repositoryName,
      createdAt: record.createdAt,
      imageTagMutability: record.imageTagMutability,
      imageCount: images.length,
      totalSize,
      ...(lastPushedAt !== undefined ? { lastPushedAt } : {}),
      hasLifecyclePolicy: policy !== undefined,
    };
  }
}
