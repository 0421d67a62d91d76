import { createHmac, timingSafeEqual } from 'node:crypto';

export interface DownloadTarget {
  repositoryName: string;
  layerDigest: string;
}

export type VerifyResult = { ok: true; target: DownloadTarget } | { ok: false; reason: 'expired' | 'invalid' };

/**
 * Download URLs are signed and expire, like the pre-signed URLs ECR hands out: anyone holding
 * one may fetch that layer until it expires, and nobody can forge one for another layer.
 */
export class DownloadUrlSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  sign(baseUrl: string, target: DownloadTarget, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    const url = new URL(`${baseUrl}/downloads/${target.layerDigest}`);
    url.searchParams.set('repositoryName', target.repositoryName);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', this.signature(target, expires));
    return url.toString();
  }

  verify(layerDigest: string, query: Record<string, unknown>, now = Date.now()): VerifyResult {
    const { repositoryName, expires, signature } = query;
    if (typeof repositoryName !== 'string' || typeof expires !== 'string' || typeof signature !== 'string') {
      return { ok: false, reason: 'invalid' };
    }
    const target = { repositoryName, layerDigest };
    const expected = Buffer.from(this.signature(target, Number(expires)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
    if (Number(expires) * 1000 < now) return { ok: false, reason: 'expired' };
    return { ok: true, target };
  }

  private signature(target: DownloadTarget, expires: number): string {
    return createHmac('sha256', this.secret)
      .update(`${target.layerDigest}\n${target.repositoryName}\n${expires}`)
      .digest('base64url');
  }
}
