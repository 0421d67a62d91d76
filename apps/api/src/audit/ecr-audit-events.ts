import type { DoorAuditEvent } from './request-audit.js';

interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

type Fields = Record<string, unknown>;

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** The repository an ECR input names: `repositoryName`, or the repository of a `resourceArn`. */
function repositoryOf(input: Fields): string | undefined {
  const arn = str(input.resourceArn);
  return (
    str(input.repositoryName) ??
    (arn?.includes(':repository/') ? arn.slice(arn.indexOf(':repository/') + 12) : undefined)
  );
}

/**
 * The audit lines of one ECR mutation: one per image for BatchDeleteImage (each deleted image
 * `ok`, each failure with its failureCode), else one line with the digest and tag the operation
 * touched, and `result` the ECR error name when it was refused.
 */
export function ecrAuditEvents(operation: string, input: unknown, output: unknown, error?: string): DoorAuditEvent[] {
  const fields = (input && typeof input === 'object' ? input : {}) as Fields;
  const result = (output && typeof output === 'object' ? output : {}) as Fields;
  const base = { action: operation, door: 'ecr', repository: repositoryOf(fields) };
  if (operation === 'BatchDeleteImage' && !error) {
    const deleted = ((result.imageIds as ImageId[] | undefined) ?? []).map((id) => ({
      ...base,
      digest: id.imageDigest,
      tag: id.imageTag,
      result: 'ok',
    }));
    const failed = ((result.failures as { imageId?: ImageId; failureCode?: string }[] | undefined) ?? []).map((f) => ({
      ...base,
      digest: f.imageId?.imageDigest,
      tag: f.imageId?.imageTag,
      result: f.failureCode ?? 'failed',
    }));
    return [...deleted, ...failed];
  }
  const image = (result.image as { imageId?: ImageId } | undefined)?.imageId;
  const layerDigests = fields.layerDigests as string[] | undefined;
  return [
    {
      ...base,
      digest: image?.imageDigest ?? str(result.layerDigest) ?? str(fields.imageDigest) ?? layerDigests?.[0],
      tag: image?.imageTag ?? str(fields.imageTag),
      result: error ?? 'ok',
    },
  ];
}
