import { describe, expect, it } from 'vitest';
import { InvalidImageDigestError, InvalidImageTagError } from '../errors/ecr-errors.js';
import { isValidTag, parseImageReference, requireDigest } from './image-reference.js';
import { isTagImmutable } from './tag-mutability.js';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('image references', () => {
  it('tells tags from digests', () => {
    expect(parseImageReference('latest')).toEqual({ kind: 'tag', tag: 'latest' });
    expect(parseImageReference(digest)).toEqual({ kind: 'digest', digest });
  });

  it('takes sha512 digests on /v2 references; the ECR door keeps its sha256 pattern', () => {
    const sha512 = `sha512:${'a'.repeat(128)}`;
    expect(parseImageReference(sha512)).toEqual({ kind: 'digest', digest: sha512 });
    expect(() => requireDigest(sha512)).toThrow(InvalidImageDigestError);
    expect(() => parseImageReference(`sha512:${'a'.repeat(64)}`)).toThrow(InvalidImageDigestError);
    expect(() => parseImageReference(`sha384:${'a'.repeat(96)}`)).toThrow(InvalidImageDigestError);
  });

  it('follows the distribution-spec tag grammar', () => {
    for (const tag of ['v1.2.3', '_x', 'A-b_c.d', '9', 'a'.repeat(128)]) expect(isValidTag(tag), tag).toBe(true);
    for (const tag of ['', '.hidden', '-x', 'a'.repeat(129), 'a/b', 'a b', 'ä'])
      expect(isValidTag(tag), tag).toBe(false);
  });

  it('refuses malformed references with the error of their kind', () => {
    expect(() => parseImageReference('-bad')).toThrow(InvalidImageTagError);
    expect(() => parseImageReference('sha256:abc')).toThrow(InvalidImageDigestError);
    expect(() => parseImageReference(`sha512:${'A'.repeat(128)}`)).toThrow(InvalidImageDigestError);
    expect(() => parseImageReference(digest.toUpperCase().replace('SHA256', 'sha256'))).toThrow(
      InvalidImageDigestError,
    );
  });
});

describe('tag mutability', () => {
  const filters = [{ filterType: 'WILDCARD', filter: 'dev-*' }];
  it('MUTABLE and IMMUTABLE apply to every tag', () => {
    expect(isTagImmutable({ imageTagMutability: 'MUTABLE' }, 'x')).toBe(false);
    expect(isTagImmutable({ imageTagMutability: 'IMMUTABLE' }, 'x')).toBe(true);
  });
  it('exclusion filters (with * wildcards) invert the setting for the tags they match', () => {
    const immutable = { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters };
    expect(isTagImmutable(immutable, 'dev-42')).toBe(false);
    expect(isTagImmutable(immutable, 'v1')).toBe(true);
    const mutable = { imageTagMutability: 'MUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters };
    expect(isTagImmutable(mutable, 'dev-42')).toBe(true);
    expect(isTagImmutable(mutable, 'v1')).toBe(false);
    expect(isTagImmutable(mutable, 'xdev-1')).toBe(false);
  });
});
