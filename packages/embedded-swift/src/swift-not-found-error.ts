import { SWIFT_OS_PACKAGES } from './swift-binaries.js';

/** Swift or memcached is not installed (and could not be installed unasked). */
export class SwiftNotFoundError extends Error {
  override readonly name = 'SwiftNotFoundError';

  constructor(readonly missing: readonly string[]) {
    super(
      `OpenStack Swift is needed for the S3 tests, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. ` +
        `Install it with \`apt-get install -y --no-install-recommends ${SWIFT_OS_PACKAGES.join(' ')}\` (as root).`,
    );
  }
}
