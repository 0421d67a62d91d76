import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { InvalidParameterException } from '@longshore/domain';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Opaque `nextToken`s: where a listing continues, encrypted and authenticated (AES-256-GCM with
 * a key derived from a server secret all replicas share) and bound to the caller (its id is the
 * associated data), so a token reveals nothing and works only for the principal it was given to.
 * A token that is tampered with, or presented by another caller, is answered as ECR answers a
 * bad token: InvalidParameterException.
 */
export class PageTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A key of its own, derived from the shared secret: page tokens are never login tokens.
    this.key = createHmac('sha256', secret).update('longshore page tokens').digest();
  }

  seal(position: string, caller: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(caller));
    const sealed = Buffer.concat([cipher.update(position, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** The position a token stands for, if it was sealed here for `caller`. */
  open(token: string, caller: string): string {
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length > IV_BYTES + TAG_BYTES && bytes.toString('base64url') === token) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES))
          .setAAD(Buffer.from(caller))
          .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const sealed = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
        return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
      } catch {
        // tampered with, sealed for another caller, or by another server
      }
    }
    throw new InvalidParameterException(
      "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'",
    );
  }
}
