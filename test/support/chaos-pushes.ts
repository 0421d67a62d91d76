import { ECRClient } from '@aws-sdk/client-ecr';
import { pushLayer, randomLayer } from './layer-data.js';

export interface PushOutcome {
  ok: boolean;
  digest: string;
  /** The error's name when the push failed for good (after the SDK's own retries). */
  error?: string;
}

/** SDK clients as CI jobs configure them: only the endpoint; the SDK's default retry policy. */
export function defaultRetryClient(endpoint: string): ECRClient {
  return new ECRClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  });
}

/**
 * `clients` loops, each with its own SDK client, pushing small single-part layers one after the
 * other until `until` resolves; resolves with every push's outcome once the last one finished.
 */
export async function pushUntil(
  endpoint: string,
  repositoryName: string,
  clients: number,
  until: Promise<unknown>,
): Promise<PushOutcome[]> {
  let stop = false;
  void until.then(() => {
    stop = true;
  });
  const outcomes: PushOutcome[] = [];
  const loop = async (client: number) => {
    const ecr = defaultRetryClient(endpoint);
    for (let i = 0; !stop; i++) {
      const layer = randomLayer(16 * 1024 + ((client * 7919 + i * 104_729) % (48 * 1024)));
      try {
        const { layerDigest } = await pushLayer(ecr, repositoryName, layer);
        outcomes.push({ ok: layerDigest === layer.digest, digest: layer.digest });
      } catch (error) {
        outcomes.push({
          ok: false,
          digest: layer.digest,
          error: `${(error as Error).name}: ${(error as Error).message}`,
        });
      }
    }
    ecr.destroy();
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  return outcomes;
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export async function forEachLimited<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const run = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, run));
}
