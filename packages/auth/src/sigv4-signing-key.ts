import { createHmac } from 'node:crypto';
import type { AccessKey } from './access-key.js';

/** Scopes one key keeps: a day's and the next one's (requests signed around midnight), per region/service. */
const SCOPES_PER_KEY = 4;

/**
 * SigV4's derived signing keys (`HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service),
 * "aws4_request")`), cached per key, day, region and service: four HMACs once a day instead of
 * on every request. The cache is keyed on the AccessKey object, so a reloaded credentials file
 * (new objects: a rotated secret, a removed key) never meets a key derived from the old secret,
 * and what it held is collected with the old set.
 */
export class SigningKeyCache {
  private readonly byKey = new WeakMap<AccessKey, Map<string, Buffer>>();

  get(key: AccessKey, day: string, region: string, service: string): Buffer {
    let scopes = this.byKey.get(key);
    if (!scopes) {
      scopes = new Map();
      this.byKey.set(key, scopes);
    }
    const scope = `${day}/${region}/${service}`;
    let signingKey = scopes.get(scope);
    if (!signingKey) {
      signingKey = deriveSigningKey(key.secretAccessKey, day, region, service);
      if (scopes.size >= SCOPES_PER_KEY) scopes.clear();
      scopes.set(scope, signingKey);
    }
    return signingKey;
  }
}

/** The signing key for one credential scope, as AWS documents its derivation. */
export function deriveSigningKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(day).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}
