import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmbeddedSwift } from '@longshore/embedded-swift';

/** The storage the bench runs Longshore on: `filesystem` (DATA_DIR) or `s3` (an embedded Swift). */
export type BenchStorage = 'filesystem' | 's3';

export interface BenchS3Store {
  /** The settings that point Longshore at the store (STORAGE=s3, S3_*, AWS_* credentials). */
  env: Record<string, string>;
  pid?: number;
  stop(): Promise<void>;
}

const BUCKET = 'longshore-bench';

/**
 * BENCH_STORAGE=s3: a private single-node OpenStack Swift with its s3api (packages/embedded-swift,
 * as the distributed tests use) in `dataDir/swift`, with one fresh bucket, for one scenario run.
 */
export async function startBenchS3Store(dataDir: string): Promise<BenchS3Store> {
  const swift = await startEmbeddedSwift({ dataDir: path.join(dataDir, 'swift') });
  try {
    const client = new S3Client({
      endpoint: swift.endpoint,
      region: swift.region,
      forcePathStyle: true,
      credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();
  } catch (error) {
    await swift.stop();
    throw error;
  }
  return {
    env: {
      STORAGE: 's3',
      S3_ENDPOINT: swift.endpoint,
      S3_BUCKET: BUCKET,
      S3_REGION: swift.region,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: swift.accessKeyId,
      AWS_SECRET_ACCESS_KEY: swift.secretAccessKey,
    },
    stop: () => swift.stop(),
  };
}
