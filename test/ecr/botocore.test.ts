import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

const PYTHON = '/usr/bin/python3';
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'botocore-errors.py');
const SCRIPT_TIMEOUT_MS = 30_000;

interface CaughtError {
  code: string | null;
  message?: string;
  httpStatus?: number;
  isModeledClass?: boolean;
  className?: string;
  fields?: Record<string, unknown>;
  unexpectedResult?: string;
}

interface BotocoreResults {
  botocoreVersion: string;
  uploadId: string;
  firstPush: string;
  InvalidLayerPartException: CaughtError;
  RepositoryNotFoundException: CaughtError;
  LayerAlreadyExistsException: CaughtError;
  UploadNotFoundException: CaughtError;
}

/** Runs the Python driver; rejects with everything it printed when it does not succeed. */
function runBotocore(endpoint: string, repositoryName: string): Promise<BotocoreResults> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, endpoint, repositoryName], {
      // Only what botocore needs: no AWS profile, config or credentials of the machine leak in.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: SCRIPT_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'ENOENT'
            ? `${PYTHON} not found: install python3 and python3-botocore (apt-get install -y python3-botocore)`
            : `could not run ${PYTHON}: ${err.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 3) {
        reject(
          new Error(
            `botocore is missing for ${PYTHON}; install it with \`apt-get install -y python3-botocore\`.\n${stderr}`,
          ),
        );
      } else if (code !== 0) {
        const why = signal ? `was killed by ${signal} (timeout ${SCRIPT_TIMEOUT_MS} ms?)` : `exited with ${code}`;
        reject(new Error(`${PYTHON} ${script} ${why}\nstderr:\n${stderr}\nstdout:\n${stdout}`));
      } else {
        try {
          resolve(JSON.parse(stdout) as BotocoreResults);
        } catch {
          reject(new Error(`the botocore driver printed no JSON:\n${stdout}\nstderr:\n${stderr}`));
        }
      }
    });
  });
}

describe('botocore (the AWS CLI and boto3) raises the modeled exceptions', () => {
  let longshore: Longshore;
  let results: BotocoreResults;
  const repositoryName = 'botocore/errors';

  beforeAll(async () => {
    longshore = await startLongshore();
    results = await runBotocore(longshore.endpoint, repositoryName);
  });
  afterAll(() => longshore?.close());

  it('InvalidLayerPartException, with its modeled fields in the response', () => {
    const error = results.InvalidLayerPartException;
    expect(error).toMatchObject({
      code: 'InvalidLayerPartException',
      httpStatus: 400,
      isModeledClass: true,
      className: 'InvalidLayerPartException',
    });
    expect(error.message).toMatch(/start at byte 0/);
    expect(error.fields).toMatchObject({
      registryId: '000000000000',
      repositoryName,
      uploadId: results.uploadId,
      lastValidByteReceived: -1,
    });
  });

  it('RepositoryNotFoundException', () => {
    expect(results.RepositoryNotFoundException).toMatchObject({
      code: 'RepositoryNotFoundException',
      httpStatus: 400,
      isModeledClass: true,
      className: 'RepositoryNotFoundException',
    });
  });

  it('LayerAlreadyExistsException for a second push of the same layer', () => {
    expect(results.firstPush).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(results.LayerAlreadyExistsException).toMatchObject({
      code: 'LayerAlreadyExistsException',
      httpStatus: 400,
      isModeledClass: true,
      className: 'LayerAlreadyExistsException',
    });
    expect(results.LayerAlreadyExistsException.message).toContain(results.firstPush);
  });

  it('UploadNotFoundException for an upload id never issued', () => {
    expect(results.UploadNotFoundException).toMatchObject({
      code: 'UploadNotFoundException',
      httpStatus: 400,
      isModeledClass: true,
    });
  });
});
