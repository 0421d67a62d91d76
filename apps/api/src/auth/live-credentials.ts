import { unwatchFile, watchFile } from 'node:fs';
import { type CredentialSet, type CredentialSources, loadCredentials } from '@longshore/auth';
import type { Logger } from '@longshore/telemetry';

/** How often the credentials file is checked for changes. */
const WATCH_INTERVAL_MS = 2000;

/**
 * The credentials as configured now. The file is re-read when it changes, so removing a key
 * revokes it (and its login tokens) without a restart; a file that no longer validates is
 * reported and the last good set stays in force.
 */
export class LiveCredentials {
  private current: CredentialSet;

  constructor(
    private readonly sources: CredentialSources,
    private readonly log: Logger,
  ) {
    this.current = loadCredentials(sources);
    if (sources.credentialsFile) {
      watchFile(sources.credentialsFile, { interval: WATCH_INTERVAL_MS, persistent: false }, () => this.reload());
    }
  }

  get(): CredentialSet {
    return this.current;
  }

  reload(): void {
    try {
      this.current = loadCredentials(this.sources);
      this.log.info({ keys: this.current.size }, 'credentials reloaded');
    } catch (err) {
      this.log.error(
        { problem: (err as Error).message },
        'the credentials file changed but is invalid; keeping the previous keys',
      );
    }
  }

  close(): void {
    if (this.sources.credentialsFile) unwatchFile(this.sources.credentialsFile);
  }
}
