import type { AccessKey } from './access-key.js';
import type { NamePattern } from './name-pattern.js';

/** Every access key this service knows, by id, and the repositories anyone may pull from. */
export class CredentialSet {
  private readonly byId: ReadonlyMap<string, AccessKey>;

  constructor(
    keys: readonly AccessKey[],
    private readonly anonymousPullPatterns: readonly NamePattern[],
  ) {
    this.byId = new Map(keys.map((k) => [k.accessKeyId, k]));
  }

  get size(): number {
    return this.byId.size;
  }

  /** Every key, in no particular order. */
  all(): AccessKey[] {
    return [...this.byId.values()];
  }

  get(accessKeyId: string): AccessKey | undefined {
    return this.byId.get(accessKeyId);
  }

  /** Whether `repository` is public: pulls need no credentials. */
  isAnonymousPull(repository: string): boolean {
    return this.anonymousPullPatterns.some((p) => p.matches(repository));
  }
}
