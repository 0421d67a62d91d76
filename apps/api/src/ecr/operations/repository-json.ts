import type { RepositoryRecord } from '../../repositories/repository-service.js';

export interface RepositoryView {
  region: string;
  /** host[:port] shown in repository URIs */
  registryHost: string;
}

/** The ECR `Repository` shape: timestamps are epoch seconds in AWS JSON 1.1. */
export function repositoryJson(record: RepositoryRecord, view: RepositoryView) {
  return {
    repositoryArn: `arn:aws:ecr:${view.region}:${record.registryId}:repository/${record.repositoryName}`,
    registryId: record.registryId,
    repositoryName: record.repositoryName,
    repositoryUri: `${view.registryHost}/${record.repositoryName}`,
    createdAt: record.createdAt / 1000,
    imageTagMutability: record.imageTagMutability,
    ...(record.imageTagMutabilityExclusionFilters
      ? { imageTagMutabilityExclusionFilters: record.imageTagMutabilityExclusionFilters }
      : {}),
    imageScanningConfiguration: record.imageScanningConfiguration,
    encryptionConfiguration: record.encryptionConfiguration,
  };
}
