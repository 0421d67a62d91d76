import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

describe('S3 storage configuration', () => {
  it('keeps the filesystem by default and redirects S3 downloads unless told otherwise', () => {
    const config = loadConfig({});
    expect(config.storage).toBe('filesystem');
    expect(config.s3RedirectDownloads).toBe(true);
    expect(config.s3ForcePathStyle).toBe(false);
  });

  it('reads every S3 setting', () => {
    const config = loadConfig({
      STORAGE: 's3',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'layers',
      S3_REGION: 'eu-west-1',
      S3_PREFIX: 'ci/longshore',
      S3_FORCE_PATH_STYLE: 'true',
      S3_REDIRECT_DOWNLOADS: 'no',
    });
    expect(config).toMatchObject({
      storage: 's3',
      s3Endpoint: 'http://127.0.0.1:9000',
      s3Bucket: 'layers',
      s3Region: 'eu-west-1',
      s3Prefix: 'ci/longshore',
      s3ForcePathStyle: true,
      s3RedirectDownloads: false,
    });
  });

  it('requires a bucket with STORAGE=s3 and reports bad values by name', () => {
    expect(() => loadConfig({ STORAGE: 's3' })).toThrow(/S3_BUCKET must be set when STORAGE=s3/);
    expect(() => loadConfig({ STORAGE: 's3', S3_BUCKET: 'Bad_Bucket' })).toThrow(/S3_BUCKET must be an S3 bucket name/);
    expect(() => loadConfig({ S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/S3_FORCE_PATH_STYLE must be true or false/);
    expect(() => loadConfig({ STORAGE: 'nfs' })).toThrow(/STORAGE must be one of filesystem, s3/);
  });
});
