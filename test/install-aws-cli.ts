import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const AWS = '/usr/bin/aws';

/**
 * The AWS CLI tests run Debian's `awscli` package. Like `npm start` does for redis-server, the
 * test setup installs it with apt-get when it is missing and this runs as root; otherwise the
 * CLI tests fail and say how to install it.
 */
export function ensureAwsCli(): void {
  if (existsSync(AWS) || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return;
  console.log('awscli is missing: installing it with apt-get (for the AWS CLI tests)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'awscli'], {
    stdio: 'ignore',
    env,
  });
  if (install.status !== 0) console.warn('apt-get install awscli failed; the AWS CLI tests will fail');
}
