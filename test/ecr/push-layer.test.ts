import {
  BatchCheckLayerAvailabilityCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  GetDownloadUrlForLayerCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { MiB, pushLayer, randomLayer } from '../support/layer-data.js';

describe('pushing a layer with the AWS SDK', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore();
  });
  afterAll(() => longshore?.close());

  it('creates, describes and deletes repositories', async () => {
    const { repository } = await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/service' }));
    expect(repository?.repositoryName).toBe('team/service');
    expect(repository?.registryId).toBe('000000000000');
    expect(repository?.repositoryArn).toBe('arn:aws:ecr:us-east-1:000000000000:repository/team/service');
    expect(repository?.createdAt).toBeInstanceOf(Date);

    const described = await longshore.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['team/service'] }));
    expect(described.repositories?.map((r) => r.repositoryName)).toEqual(['team/service']);

    const deleted = await longshore.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'team/service' }));
    expect(deleted.repository?.repositoryName).toBe('team/service');
  });

  it('pushes an 11 MiB layer in 5 MiB parts, then serves it whole and by range', async () => {
    const repositoryName = 'e2e/push';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(11 * MiB);

    const completed = await pushLayer(longshore.ecr, repositoryName, layer, 5 * MiB);
    expect(completed.layerDigest).toBe(layer.digest);
    expect(completed.repositoryName).toBe(repositoryName);
    expect(completed.registryId).toBe('000000000000');

    const availability = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(availability.failures).toEqual([]);
    expect(availability.layers).toEqual([
      { layerDigest: layer.digest, layerAvailability: 'AVAILABLE', layerSize: 11 * MiB },
    ]);

    const { downloadUrl, layerDigest } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    expect(layerDigest).toBe(layer.digest);
    expect(downloadUrl?.startsWith(longshore.endpoint)).toBe(true);

    // Longshore names the digest whether it serves the bytes itself or, on S3, redirects to a
    // presigned URL of the store (S3_REDIRECT_DOWNLOADS); fetch follows the redirect.
    const first = await fetch(downloadUrl!, { redirect: 'manual' });
    expect(first.status).toBe(longshore.backend === 's3-cluster' ? 307 : 200);
    expect(first.headers.get('docker-content-digest')).toBe(layer.digest);
    await first.body?.cancel();
    const whole = await fetch(downloadUrl!);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(layer.bytes)).toBe(true);

    const start = 5 * MiB - 10;
    const end = 6 * MiB + 20;
    const ranged = await fetch(downloadUrl!, { headers: { Range: `bytes=${start}-${end}` } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes ${start}-${end}/${11 * MiB}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(layer.bytes.subarray(start, end + 1))).toBe(true);

    const tail = await fetch(downloadUrl!, { headers: { Range: 'bytes=-100' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(layer.bytes.subarray(-100))).toBe(true);

    const beyond = await fetch(downloadUrl!, { headers: { Range: `bytes=${11 * MiB}-` } });
    expect(beyond.status).toBe(416);
  });

  it('refuses a tampered download URL', async () => {
    const repositoryName = 'e2e/tamper';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(1000);
    await pushLayer(longshore.ecr, repositoryName, layer);
    const { downloadUrl } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    const tampered = new URL(downloadUrl!);
    tampered.searchParams.set('repositoryName', 'e2e/push');
    const response = await fetch(tampered);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ success: false, error: { code: 'SIGNATURE_INVALID' } });
  });
});
