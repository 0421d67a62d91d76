import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  InvalidParameterException,
  InvalidTagParameterException,
  ListTagsForResourceCommand,
  RepositoryNotFoundException,
  TagResourceCommand,
  TooManyTagsException,
  UntagResourceCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageRecords } from '@longshore/metadata';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

// Issue 18, point 5: repository tags can be read and changed, and are kept with the repository
// record in the storage; settings the store cannot honour are refused, not echoed. In test/ops,
// which runs on the filesystem store only: KMS is refused there and nowhere else.
describe('TagResource, UntagResource, ListTagsForResource; encryption the store cannot do', () => {
  let longshore: Longshore;

  beforeAll(async () => {
    longshore = await startLongshore();
  }, 120_000);
  afterAll(async () => {
    await longshore?.close();
  });

  const arnOf = async (repositoryName: string) =>
    (await longshore.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }))).repositories![0]!
      .repositoryArn!;
  const tagsOf = async (resourceArn: string) =>
    (await longshore.ecr.send(new ListTagsForResourceCommand({ resourceArn }))).tags;

  it('reads the tags CreateRepository set, adds, replaces and removes them, and keeps them in the storage', async () => {
    const repositoryName = 'tags/app';
    await longshore.ecr.send(
      new CreateRepositoryCommand({ repositoryName, tags: [{ Key: 'team', Value: 'platform' }] }),
    );
    const resourceArn = await arnOf(repositoryName);
    expect(await tagsOf(resourceArn)).toEqual([{ Key: 'team', Value: 'platform' }]);

    await longshore.ecr.send(
      new TagResourceCommand({
        resourceArn,
        tags: [
          { Key: 'team', Value: 'infra' },
          { Key: 'cost-center', Value: '42' },
        ],
      }),
    );
    expect(await tagsOf(resourceArn)).toEqual([
      { Key: 'team', Value: 'infra' },
      { Key: 'cost-center', Value: '42' },
    ]);

    await longshore.ecr.send(new UntagResourceCommand({ resourceArn, tagKeys: ['team', 'not-there'] }));
    expect(await tagsOf(resourceArn)).toEqual([{ Key: 'cost-center', Value: '42' }]);
    const stored = await new StorageRecords(longshore.storage.driver).getRepository(repositoryName);
    expect(stored?.tags).toEqual([{ Key: 'cost-center', Value: '42' }]);
  });

  it('refuses bad ARNs, missing repositories, invalid tags and more than 50 tags, changing nothing', async () => {
    const repositoryName = 'tags/refused';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const resourceArn = await arnOf(repositoryName);

    await expect(
      longshore.ecr.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:s3:::bucket' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      longshore.ecr.send(new ListTagsForResourceCommand({ resourceArn: `${resourceArn}-missing` })),
    ).rejects.toBeInstanceOf(RepositoryNotFoundException);
    await expect(
      longshore.ecr.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'aws:reserved', Value: 'x' }] })),
    ).rejects.toBeInstanceOf(InvalidTagParameterException);
    await expect(
      longshore.ecr.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'k', Value: 'v'.repeat(257) }] })),
    ).rejects.toBeInstanceOf(InvalidTagParameterException);
    const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await expect(longshore.ecr.send(new TagResourceCommand({ resourceArn, tags: many }))).rejects.toBeInstanceOf(
      TooManyTagsException,
    );
    expect(await tagsOf(resourceArn)).toEqual([]);
  });

  it('refuses KMS (and KMS_DSSE) encryption on the filesystem store instead of echoing it, and creates nothing', async () => {
    for (const encryptionType of ['KMS', 'KMS_DSSE'] as const) {
      await expect(
        longshore.ecr.send(
          new CreateRepositoryCommand({
            repositoryName: 'tags/kms',
            encryptionConfiguration: { encryptionType, kmsKey: 'arn:aws:kms:us-east-1:000000000000:key/x' },
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('STORAGE=s3') });
      await expect(
        longshore.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['tags/kms'] })),
      ).rejects.toBeInstanceOf(RepositoryNotFoundException);
    }
  });
});
