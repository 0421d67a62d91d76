import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** `AUTH` of the bench's own service: `sigv4` (the default, as under npm start) or `off`. */
export type BenchAuth = 'sigv4' | 'off';

/** An access key the bench's clients sign with (SigV4 on the ECR door) and log in with (`/v2`, `/v1`). */
export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

const CLI_TIMEOUT_MS = 30_000;

/**
 * Creates an access key the way an operator does: `longshore keys create` (apps/cli) with
 * CREDENTIALS_FILE pointing at `credentialsFile`, which the service is then started with.
 */
export async function createAccessKey(
  credentialsFile: string,
  env: Readonly<Record<string, string>>,
): Promise<AccessKey> {
  const cli = path.join(path.dirname(require.resolve('@longshore/cli/package.json')), 'bin', 'longshore.js');
  const { stdout } = await run(process.execPath, [cli, '--json', 'keys', 'create', '--description', 'npm run bench'], {
    env: { ...env, CREDENTIALS_FILE: credentialsFile },
    timeout: CLI_TIMEOUT_MS,
  });
  const key = JSON.parse(stdout) as Partial<AccessKey>;
  if (typeof key.accessKeyId !== 'string' || typeof key.secretAccessKey !== 'string') {
    throw new Error(`longshore keys create printed no key: ${stdout.slice(0, 200)}`);
  }
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

/** The key of a deployment the bench does not start (BENCH_ENDPOINT): the SDKs' own variables. */
export function accessKeyFromEnv(env: Readonly<Record<string, string | undefined>>): AccessKey | undefined {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}

/**
 * SigV4 for the ECR door (service `ecr`), by the SDK's own signer. The caller gives the body's
 * SHA-256 (as `x-amz-content-sha256`, which the service checks against the body it received),
 * so large bodies are hashed where it is cheapest, never here.
 */
export class EcrSigner {
  private readonly signer: SignatureV4;

  constructor(
    key: AccessKey,
    readonly region: string,
  ) {
    this.signer = new SignatureV4({
      service: 'ecr',
      region,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: true,
    });
  }

  /** The headers with `authorization`, `x-amz-date` and `x-amz-content-sha256` added. */
  async sign(
    endpoint: URL,
    headers: Record<string, string>,
    payloadSha256Hex: string,
  ): Promise<Record<string, string>> {
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: '/',
      query: {},
      headers: { ...headers, host: endpoint.host, 'x-amz-content-sha256': payloadSha256Hex },
    });
    return signed.headers;
  }
}
