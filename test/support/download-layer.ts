import { GetDownloadUrlForLayerCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { digestOf } from './layer-data.js';

/**
 * Downloads a layer the way a client does (GetDownloadUrlForLayer, then the URL) and returns the
 * digest of the bytes received, to compare with the digest it was pushed under.
 */
export async function downloadedDigest(
  ecr: ECRClient,
  fetchUrl: (url: string) => Promise<Response>,
  repositoryName: string,
  layerDigest: string,
): Promise<string> {
  const { downloadUrl } = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest }));
  const answer = await fetchUrl(downloadUrl!);
  if (answer.status !== 200) throw new Error(`downloading ${layerDigest} answered ${answer.status}`);
  return digestOf(new Uint8Array(await answer.arrayBuffer()));
}
