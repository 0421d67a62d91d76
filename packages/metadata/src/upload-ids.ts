import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Whom an upload id was issued to: its repository and registry. */
export interface UploadOwner {
  repositoryName: string;
  registryId: string;
}

/** What an issued id says of itself, once its tag proved this service made it for that owner. */
export interface IssuedUpload {
  /** When it was issued (ms, to the second). */
  createdAt: number;
  /** Which of the issuer's part-size policies the upload has (an index). */
  policy: number;
}

const TAG_BYTES = 5;
const SIGNED_BYTES = 16 - TAG_BYTES;

/**
 * Upload ids that carry their own facts, so an upload can start without a record (see
 * lazy-uploads.ts). An id is still a UUID (version 8, the custom one): 32 bits of its issue time
 * in seconds, 8 bits of its policy, 42 random bits, and 40 bits of an HMAC-SHA256 over those and
 * the owner's repository and registry, keyed by a secret every API process shares. A forged,
 * tampered or other repository's id fails the tag; ids of other forms (random UUIDs: uploads
 * started with a record) are not issued ones.
 */
export class UploadIds {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('longshore upload ids v1').digest();
  }

  issue(owner: UploadOwner, policy: number, now = Date.now()): string {
    const id = randomBytes(16);
    id.writeUInt32BE(Math.floor(now / 1000) >>> 0, 0);
    id[4] = policy;
    id[6] = (id[6]! & 0x0f) | 0x80; // version 8
    id[8] = (id[8]! & 0x3f) | 0x80; // RFC 4122 variant
    this.tag(id, owner).copy(id, SIGNED_BYTES);
    const hex = id.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** The facts of `uploadId` when this service issued it to `owner`; undefined otherwise. */
  read(uploadId: string, owner: UploadOwner): IssuedUpload | undefined {
    const hex = uploadId.replaceAll('-', '');
    if (hex.length !== 32 || hex[12] !== '8' || !/^[0-9a-f]{32}$/.test(hex)) return undefined;
    const id = Buffer.from(hex, 'hex');
    if (!timingSafeEqual(id.subarray(SIGNED_BYTES), this.tag(id, owner))) return undefined;
    return { createdAt: id.readUInt32BE(0) * 1000, policy: id[4]! };
  }

  private tag(id: Buffer, owner: UploadOwner): Buffer {
    return createHmac('sha256', this.key)
      .update(id.subarray(0, SIGNED_BYTES))
      .update(`${owner.repositoryName}\0${owner.registryId}`)
      .digest()
      .subarray(0, TAG_BYTES);
  }
}
