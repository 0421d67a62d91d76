/** A repository's tag mutability setting, as CreateRepository and PutImageTagMutability store it. */
export interface TagMutabilitySetting {
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
}

/** `*` matches any run of characters; everything else matches itself. */
function wildcardMatches(filter: string, tag: string): boolean {
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(tag);
}

/**
 * Whether a tag, once set, may not be moved to another image: IMMUTABLE repositories (except
 * tags matching an exclusion filter under IMMUTABLE_WITH_EXCLUSION), and under
 * MUTABLE_WITH_EXCLUSION the tags matching a filter.
 */
export function isTagImmutable(setting: TagMutabilitySetting, tag: string): boolean {
  const matchesFilter = (setting.imageTagMutabilityExclusionFilters ?? []).some((f) => wildcardMatches(f.filter, tag));
  switch (setting.imageTagMutability) {
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !matchesFilter;
    case 'MUTABLE_WITH_EXCLUSION':
      return matchesFilter;
    default:
      return false;
  }
}
