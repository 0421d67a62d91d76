import { NameInvalidError, type OciRouteFamily } from '@longshore/domain';

/** A /v2 path, taken apart: which route family serves it, for which repository and reference. */
export interface V2Target {
  family: OciRouteFamily;
  /** The repository name ('' for the base and the catalog). */
  name: string;
  /** The digest, tag or upload id the path names after its family's keyword ('' when none). */
  reference: string;
}

/**
 * The repository name pattern of the OCI distribution spec, which is also ECR's (2 to 256
 * characters): lowercase components separated by `/`, each with inner `.`, `_`, `__` or `-`s.
 */
const NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;

/**
 * The route families after `/v2/`. Names contain slashes, and a component of a name may itself
 * be `blobs` or `manifests`; references never contain a slash, so each pattern anchors at the
 * end and lets the greedy name take everything before the last keyword.
 */
const FAMILIES: { family: OciRouteFamily; pattern: RegExp }[] = [
  { family: 'upload', pattern: /^(.+)\/blobs\/uploads\/([^/]*)$/ },
  { family: 'blob', pattern: /^(.+)\/blobs\/([^/]+)$/ },
  { family: 'manifest', pattern: /^(.+)\/manifests\/([^/]+)$/ },
  { family: 'tags', pattern: /^(.+)\/tags\/list()$/ },
  { family: 'referrers', pattern: /^(.+)\/referrers\/([^/]+)$/ },
];

/**
 * Matches the path of a request under /v2 (`/v2/`, `/v2/_catalog`, `/v2/<name>/...`). Returns
 * undefined for a path no route family serves; throws NameInvalidError for a served path whose
 * repository name is not a valid name.
 */
export function matchV2Path(path: string): V2Target | undefined {
  if (path === '/v2' || path === '/v2/') return { family: 'base', name: '', reference: '' };
  if (!path.startsWith('/v2/')) return undefined;
  const rest = path.slice('/v2/'.length);
  if (rest === '_catalog') return { family: 'catalog', name: '', reference: '' };
  for (const { family, pattern } of FAMILIES) {
    const match = pattern.exec(rest);
    if (!match) continue;
    const name = decode(match[1]!);
    const reference = decode(match[2]!);
    if (name === undefined || reference === undefined) return undefined;
    if (!isRepositoryName(name)) {
      throw new NameInvalidError(
        `Invalid repository name '${name.slice(0, 300)}': expected 2 to 256 characters of lowercase components separated by '/'`,
      );
    }
    return { family, name, reference };
  }
  return undefined;
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Whether `name` is a valid repository name. */
export function isRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && NAME.test(name);
}
