import { createHash, randomBytes } from 'node:crypto';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { CompleteLayerUploadCommand, InitiateLayerUploadCommand, UploadLayerPartCommand } from '@aws-sdk/client-ecr';

export const MiB = 1024 * 1024;

export interface Layer {
  bytes: Buffer;
  digest: string;
}

export function randomLayer(size: number): Layer {
  const bytes = randomBytes(size);
  return { bytes, digest: digestOf(bytes) };
}

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Initiates an upload and sends `bytes` in parts of `partSize`; returns the upload id. */
export async function uploadParts(
  ecr: ECRClient,
  repositoryName: string,
  bytes: Buffer,
  partSize: number,
): Promise<string> {
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
  for (let first = 0; first < bytes.length; first += partSize) {
    const last = Math.min(first + partSize, bytes.length) - 1;
    await ecr.send(
      new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: first,
        partLastByte: last,
        layerPartBlob: bytes.subarray(first, last + 1),
      }),
    );
  }
  return uploadId!;
}

/** The whole push of one layer, as `docker push` drives ECR: initiate, parts, complete. */
export async function pushLayer(ecr: ECRClient, repositoryName: string, layer: Layer, partSize = 5 * MiB) {
  const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, partSize);
  const completed = await ecr.send(
    new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] }),
  );
  return { uploadId, ...completed };
}
