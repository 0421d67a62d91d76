import { createHash } from 'node:crypto';
import { PathNotFoundError, type StorageDriver, type WriteOptions } from '@longshore/storage';
import type { ImageRecord } from '../image-record.js';
import { objectEncryptionOf, type RepositoryRecord } from '../repository-store.js';

/** The small-object half of the storage port: all the records need. */
export type RecordStorage = Pick<StorageDriver, 'putContent' | 'getContent' | 'delete' | 'list'>;

/** One image as the storage keeps it: enough to rebuild every index from. */
export interface StoredImage {
  record: ImageRecord;
  /** The manifest's exact bytes. */
  manifest: Buffer;
  /** Where each blob the manifest references was stored when it was pushed (digest → BlobLocation). */
  blobs: Record<string, string>;
}

/** The JSON of an image object: the manifest travels as base64 so its bytes stay exact. */
interface ImageDocument {
  record: ImageRecord;
  manifest: string;
  blobs: Record<string, string>;
}

/** The root every record lives under, beside the driver's own `uploads/` and `blobs/`. */
export const RECORDS_ROOT = 'repositories';
const REPOSITORY_FILE = 'repository.json';
const LIFECYCLE_POLICY_FILE = 'lifecycle-policy.json';
const IMAGES_DIR = 'images';
const TAGS_DIR = 'tags';
/** The registry-wide records beside the repositories: one object per pull-through cache rule. */
export const PULL_THROUGH_RULES_ROOT = 'pull-through-rules';

/**
 * The registry's records in the storage, where they survive the loss of Redis:
 *
 *     repositories/<repo>/repository.json        the repository record
 *     repositories/<repo>/images/<alg>.<hex>     an image: record, manifest bytes, blob locations
 *     repositories/<repo>/tags/<tag>             a tag: {"tag", "digest"}
 *     repositories/<repo>/lifecycle-policy.json  its lifecycle policy: {"text"}
 *     pull-through-rules/<prefix>                a pull-through cache rule: {"prefix", "rule"} (the rule's JSON)
 *
 * `<repo>` and `<tag>` are storage names (see `storageName`): readable, but made unique and
 * case-safe by a hash of the exact name, so a repository nested in another (`a` and `a/b`) or
 * two tags that differ only in case never share an object, even on a case-insensitive
 * filesystem. Each object is written whole and atomically by the driver (putContent).
 */
export class StorageRecords {
  constructor(private readonly storage: RecordStorage) {}

  // --- repositories ----------------------------------------------------------------------------

  async putRepository(record: RepositoryRecord): Promise<void> {
    await this.storage.putContent(
      `${repositoryPath(record.repositoryName)}/${REPOSITORY_FILE}`,
      Buffer.from(JSON.stringify(record)),
      { encryption: objectEncryptionOf(record) },
    );
  }

  async getRepository(repositoryName: string): Promise<RepositoryRecord | undefined> {
    const bytes = await this.read(`${repositoryPath(repositoryName)}/${REPOSITORY_FILE}`);
    return bytes ? (JSON.parse(bytes.toString('utf8')) as RepositoryRecord) : undefined;
  }

  /** Removes a repository with all its images and tags. */
  async deleteRepository(repositoryName: string): Promise<void> {
    await this.storage.delete(repositoryPath(repositoryName));
  }

  /** The storage name of every repository directory (with or without its record). */
  repositoryDirectories(): Promise<string[]> {
    return this.storage.list(RECORDS_ROOT);
  }

  /** The record in one repository directory; undefined when the directory has none (a leftover). */
  async repositoryIn(directory: string): Promise<RepositoryRecord | undefined> {
    const bytes = await this.read(`${RECORDS_ROOT}/${directory}/${REPOSITORY_FILE}`);
    return bytes ? (JSON.parse(bytes.toString('utf8')) as RepositoryRecord) : undefined;
  }

  // --- lifecycle policies ----------------------------------------------------------------------

  async putLifecyclePolicy(repositoryName: string, text: string, options?: WriteOptions): Promise<void> {
    await this.storage.putContent(
      `${repositoryPath(repositoryName)}/${LIFECYCLE_POLICY_FILE}`,
      Buffer.from(JSON.stringify({ text })),
      options,
    );
  }

  async getLifecyclePolicy(repositoryName: string): Promise<string | undefined> {
    const bytes = await this.read(`${repositoryPath(repositoryName)}/${LIFECYCLE_POLICY_FILE}`);
    return bytes ? (JSON.parse(bytes.toString('utf8')) as { text: string }).text : undefined;
  }

  async deleteLifecyclePolicy(repositoryName: string): Promise<void> {
    await this.storage.delete(`${repositoryPath(repositoryName)}/${LIFECYCLE_POLICY_FILE}`);
  }

  // --- pull-through cache rules ---------------------------------------------------------------

  async putPullThroughRule(prefix: string, rule: string): Promise<void> {
    await this.storage.putContent(pullThroughRulePath(prefix), Buffer.from(JSON.stringify({ prefix, rule })));
  }

  async deletePullThroughRule(prefix: string): Promise<void> {
    await this.storage.delete(pullThroughRulePath(prefix));
  }

  /** Every pull-through cache rule: ecrRepositoryPrefix → the rule's JSON, as the rule store wrote it. */
  async pullThroughRules(): Promise<Map<string, string>> {
    const rules = new Map<string, string>();
    for (const name of await this.storage.list(PULL_THROUGH_RULES_ROOT)) {
      const bytes = await this.read(`${PULL_THROUGH_RULES_ROOT}/${name}`);
      if (!bytes) continue;
      const { prefix, rule } = JSON.parse(bytes.toString('utf8')) as { prefix: string; rule: string };
      rules.set(prefix, rule);
    }
    return rules;
  }

  // --- images ----------------------------------------------------------------------------------

  async putImage(repositoryName: string, image: StoredImage, options?: WriteOptions): Promise<void> {
    const document: ImageDocument = {
      record: image.record,
      manifest: image.manifest.toString('base64'),
      blobs: image.blobs,
    };
    await this.storage.putContent(
      imagePath(repositoryName, image.record.digest),
      Buffer.from(JSON.stringify(document)),
      options,
    );
  }

  async getImage(repositoryName: string, digest: string): Promise<StoredImage | undefined> {
    const bytes = await this.read(imagePath(repositoryName, digest));
    return bytes ? parseImage(bytes) : undefined;
  }

  async deleteImage(repositoryName: string, digest: string): Promise<void> {
    await this.storage.delete(imagePath(repositoryName, digest));
  }

  /** Every image of a repository, in batches of `batch` (read concurrently within a batch). */
  async *images(repositoryName: string, batch = 32): AsyncIterable<StoredImage[]> {
    const dir = `${repositoryPath(repositoryName)}/${IMAGES_DIR}`;
    const names = await this.storage.list(dir);
    for (let i = 0; i < names.length; i += batch) {
      const found = await Promise.all(names.slice(i, i + batch).map((name) => this.read(`${dir}/${name}`)));
      yield found.filter((bytes): bytes is Buffer => bytes !== undefined).map(parseImage);
    }
  }

  // --- tags ------------------------------------------------------------------------------------

  async putTag(repositoryName: string, tag: string, digest: string, options?: WriteOptions): Promise<void> {
    await this.storage.putContent(tagPath(repositoryName, tag), Buffer.from(JSON.stringify({ tag, digest })), options);
  }

  async getTag(repositoryName: string, tag: string): Promise<string | undefined> {
    const bytes = await this.read(tagPath(repositoryName, tag));
    return bytes ? (JSON.parse(bytes.toString('utf8')) as { digest: string }).digest : undefined;
  }

  async deleteTag(repositoryName: string, tag: string): Promise<void> {
    await this.storage.delete(tagPath(repositoryName, tag));
  }

  /** Every tag of a repository → the digest it names. */
  async tags(repositoryName: string, batch = 64): Promise<Map<string, string>> {
    const dir = `${repositoryPath(repositoryName)}/${TAGS_DIR}`;
    const names = await this.storage.list(dir);
    const tags = new Map<string, string>();
    for (let i = 0; i < names.length; i += batch) {
      const found = await Promise.all(names.slice(i, i + batch).map((name) => this.read(`${dir}/${name}`)));
      for (const bytes of found) {
        if (!bytes) continue;
        const { tag, digest } = JSON.parse(bytes.toString('utf8')) as { tag: string; digest: string };
        tags.set(tag, digest);
      }
    }
    return tags;
  }

  private async read(path: string): Promise<Buffer | undefined> {
    try {
      return await this.storage.getContent(path);
    } catch (error) {
      if (error instanceof PathNotFoundError) return undefined;
      throw error;
    }
  }
}

/**
 * A name as one storage path segment: its first characters made safe (for people reading a
 * listing), then 16 hex digits of the sha256 of the exact name (what makes it unique).
 */
export function storageName(name: string): string {
  const readable = name.slice(0, 48).replace(/[^A-Za-z0-9._-]/g, '.');
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${/^[A-Za-z0-9]/.test(readable) ? '' : 'x'}${readable}-${hash}`;
}

function repositoryPath(repositoryName: string): string {
  return `${RECORDS_ROOT}/${storageName(repositoryName)}`;
}

function imagePath(repositoryName: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex || !/^[a-z0-9]+$/.test(algorithm) || !/^[0-9a-f]+$/.test(hex)) {
    throw new Error(`not a storable digest: '${digest}'`);
  }
  return `${repositoryPath(repositoryName)}/${IMAGES_DIR}/${algorithm}.${hex}`;
}

function pullThroughRulePath(prefix: string): string {
  return `${PULL_THROUGH_RULES_ROOT}/${storageName(prefix)}`;
}

function tagPath(repositoryName: string, tag: string): string {
  return `${repositoryPath(repositoryName)}/${TAGS_DIR}/${storageName(tag)}`;
}

function parseImage(bytes: Buffer): StoredImage {
  const document = JSON.parse(bytes.toString('utf8')) as ImageDocument;
  return { record: document.record, manifest: Buffer.from(document.manifest, 'base64'), blobs: document.blobs };
}
