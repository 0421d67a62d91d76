/** A repository as stored (and returned by the ECR API, with ARN and URI added). */
export interface RepositoryRecord {
  repositoryName: string;
  registryId: string;
  createdAt: number;
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
  imageScanningConfiguration: { scanOnPush: boolean };
  encryptionConfiguration: { encryptionType: string; kmsKey?: string };
  tags?: { Key: string; Value: string }[];
}
