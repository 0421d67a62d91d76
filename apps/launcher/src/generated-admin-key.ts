import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '@longshore/config';
import type { Logger } from '@longshore/telemetry';

export interface AdminKey {
  accessKeyId: string;
  secretAccessKey: string;
}

const FILE_NAME = 'admin-credentials.json';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * `npm start` with AUTH=sigv4 and no key configured (no CREDENTIALS_FILE, no ADMIN_ACCESS_KEY_ID):
 * the admin key generated on first start and kept in DATA_DIR/admin-credentials.json, readable by
 * its owner only. Prints how to use it (the secret only when it is new). Returns undefined when
 * keys are configured or authentication is off.
 */
export async function generatedAdminKey(
  config: Config,
  log: Logger,
  terminal = Boolean(process.stdout.isTTY),
): Promise<AdminKey | undefined> {
  if (config.auth === 'off' || config.credentialsFile || config.adminAccessKeyId || config.adminSecretAccessKey) {
    return undefined;
  }
  const file = path.join(config.dataDir, FILE_NAME);
  const existing = await readKey(file);
  if (existing) {
    await chmod(file, 0o600);
    log.info({ file, accessKeyId: existing.accessKeyId }, 'using the admin key generated on first start');
    return existing;
  }
  const key: AdminKey = {
    accessKeyId: `LSAK${Array.from(randomBytes(16), (b) => ALPHABET[b % 32]).join('')}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  const scheme = config.tlsCertFile ? 'https' : 'http';
  const endpoint = `${scheme}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  // The secret goes to a terminal only: when stdout is a log or a pipe, it stays in the owner-only
  // file and the commands read it from there. Never through the logger: logs never carry secrets.
  const secretLine = terminal
    ? `  export AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`
    : `  export AWS_SECRET_ACCESS_KEY="$(node -p 'require(process.argv[1]).secretAccessKey' "${file}")"`;
  console.log(
    [
      '',
      'Longshore generated an admin access key (every action on every repository) and stored it,',
      `readable by you only, in ${file}. Use it like an AWS access key (AWS CLI v1 and v2):`,
      '',
      `  export AWS_ACCESS_KEY_ID=${key.accessKeyId}`,
      secretLine,
      `  export AWS_REGION=${config.region} AWS_DEFAULT_REGION=${config.region}`,
      `  aws ecr create-repository --repository-name demo/app --endpoint-url ${endpoint}`,
      `  aws ecr get-login-password --endpoint-url ${endpoint} | docker login --username AWS --password-stdin ${endpoint.replace(/^https?:\/\//, '')}`,
      '',
      'Configure your own keys with CREDENTIALS_FILE or ADMIN_ACCESS_KEY_ID / ADMIN_SECRET_ACCESS_KEY (see README).',
      '',
    ].join('\n'),
  );
  return key;
}

async function readKey(file: string): Promise<AdminKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = JSON.parse(text) as Partial<AdminKey>;
  if (typeof key.accessKeyId !== 'string' || typeof key.secretAccessKey !== 'string') {
    throw new Error(
      `${file} does not hold an accessKeyId and a secretAccessKey; remove it to generate a new admin key`,
    );
  }
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}
