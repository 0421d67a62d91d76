import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureOsPackages, type OsRequirement } from '../../packages/embedded-process/src/index.js';
import { redisServerRequirement } from '../../packages/embedded-redis/src/index.js';

/** botocore importable by the system Python, which the botocore test runs. */
export const botocoreRequirement: OsRequirement = {
  package: 'python3-botocore',
  present: () => spawnSync('/usr/bin/python3', ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0,
};

/** A command on the usual system paths. */
const hasCommand = (path: string) => (): boolean => existsSync(path);

/** The registry client of the /v2 tests (copies images in and out). */
export const skopeoRequirement: OsRequirement = { package: 'skopeo', present: hasCommand('/usr/bin/skopeo') };

/** The AWS CLI of the authentication tests. */
export const awsCliRequirement: OsRequirement = { package: 'awscli', present: hasCommand('/usr/bin/aws') };

/** The TLS test makes its own certificate authority with the openssl command. */
export const opensslRequirement: OsRequirement = { package: 'openssl', present: hasCommand('/usr/bin/openssl') };

/** The console's browser tests drive Debian's Chromium (test/support/console-browser.ts). */
export const chromiumRequirement: OsRequirement = { package: 'chromium', present: hasCommand('/usr/bin/chromium') };

/**
 * Every OS package the test suite needs. To need another one (skopeo, a Swift server, ...), add
 * its requirement here: the global setup installs whatever is missing, once, before any test.
 */
export const testOsRequirements: OsRequirement[] = [
  redisServerRequirement,
  botocoreRequirement,
  skopeoRequirement,
  awsCliRequirement,
  opensslRequirement,
  chromiumRequirement,
];

let ensured: Promise<void> | undefined;

/** Installs the missing ones (as root, with apt-get); once per test run, whichever project asks first. */
export function ensureTestOsPackages(): Promise<void> {
  ensured ??= ensureOsPackages(testOsRequirements, (line) => process.stderr.write(`[os-packages] ${line}\n`)).then(
    (missing) => {
      if (missing.length > 0) {
        process.stderr.write(
          `[os-packages] still missing: ${missing.join(', ')}; the tests that need them will fail. ` +
            `Install them with: apt-get install -y ${missing.join(' ')}\n`,
        );
      }
    },
  );
  return ensured;
}
