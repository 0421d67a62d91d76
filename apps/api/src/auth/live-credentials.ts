import { unwatchFile, watchFile } from 'node:fs';
import { type CredentialSet, type CredentialSources, type KeyGenerations, loadCredentials } from '@longshore/auth';
import type { Logger } from '@longshore/telemetry';

/** How often the credentials file is checked for changes. */
const WATCH_INTERVAL_MS = 2000;

/**
 * The credentials as configured now, held in memory: requests are authorised from this snapshot
 * without a Redis read. The file is re-read when it changes, so removing a key revokes it (and
 * its login tokens) without a restart; a file that no longer validates is reported and the last
 * good set stays in force. Each set read is recorded in the key generations, so a removed or
 * changed key's tokens stay dead when it is put back; the generations' own snapshot is renewed
 * on the same interval as the file is watched, so a generation another replica moved takes
 * effect here as late as a file change would.
 */
export class LiveCredentials {
  private current: CredentialSet;
  private recording: Promise<void> = Promise.resolve();
  private readonly refresher: NodeJS.Timeout | undefined;

  constructor(
    private readonly sources: CredentialSources,
    private readonly log: Logger,
    private readonly generations?: KeyGenerations,
  ) {
    this.current = loadCredentials(sources);
    this.record();
    if (sources.credentialsFile) {
      watchFile(sources.credentialsFile, { interval: WATCH_INTERVAL_MS, persistent: false }, () => this.reload());
    }
    if (generations) {
      this.refresher = setInterval(() => {
        generations.refresh().catch((err: unknown) => this.log.warn({ err }, 'could not refresh the key generations'));
      }, WATCH_INTERVAL_MS);
      this.refresher.unref();
    }
  }

  /** Resolves once the set in force has been recorded in the key generations. */
  recorded(): Promise<void> {
    return this.recording;
  }

  private record(): void {
    const set = this.current;
    this.recording = this.recording
      .then(() => this.generations?.reconcile(set))
      .catch((err: unknown) => this.log.error({ err }, 'could not record the key generations'));
  }

  get(): CredentialSet {
    return this.current;
  }

  reload(): void {
    try {
      this.current = loadCredentials(this.sources);
      this.record();
      this.log.info({ keys: this.current.size }, 'credentials reloaded');
    } catch (err) {
      this.log.error(
        { problem: (err as Error).message },
        'the credentials file changed but is invalid; keeping the previous keys',
      );
    }
  }

  close(): void {
    clearInterval(this.refresher);
    if (this.sources.credentialsFile) unwatchFile(this.sources.credentialsFile);
  }
}
