import { isManifestMediaType } from '@longshore/domain';

/**
 * Whether a manifest of `mediaType` may answer a request with this `Accept` header. A stored
 * manifest is served as it was pushed (never converted), so it is refused only when the client
 * lists manifest media types alone and this one is not among them; no `Accept`, wildcards and
 * other types (`application/json`) take it as it is.
 */
export function acceptsManifest(accept: string | undefined, mediaType: string): boolean {
  if (!accept) return true;
  const listed = accept
    .split(',')
    .map((part) => part.split(';')[0]!.trim().toLowerCase())
    .filter((type) => type !== '');
  if (listed.length === 0 || listed.includes(mediaType)) return true;
  return !listed.every((type) => isManifestMediaType(type));
}
