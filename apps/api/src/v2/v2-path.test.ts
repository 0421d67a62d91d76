import { NameInvalidError } from '@longshore/domain';
import { describe, expect, it } from 'vitest';
import { matchV2Path } from './v2-path.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('matchV2Path', () => {
  it('serves the base and the catalog', () => {
    expect(matchV2Path('/v2/')).toEqual({ family: 'base', name: '', reference: '' });
    expect(matchV2Path('/v2')).toEqual({ family: 'base', name: '', reference: '' });
    expect(matchV2Path('/v2/_catalog')).toEqual({ family: 'catalog', name: '', reference: '' });
  });

  it('takes names with slashes apart at the last keyword', () => {
    expect(matchV2Path(`/v2/a/b/c/blobs/${digest}`)).toEqual({ family: 'blob', name: 'a/b/c', reference: digest });
    expect(matchV2Path('/v2/team/app/manifests/v1.2')).toEqual({
      family: 'manifest',
      name: 'team/app',
      reference: 'v1.2',
    });
    expect(matchV2Path('/v2/xy/blobs/uploads/')).toEqual({ family: 'upload', name: 'xy', reference: '' });
    expect(matchV2Path('/v2/xy/blobs/uploads/1234')).toEqual({ family: 'upload', name: 'xy', reference: '1234' });
    expect(matchV2Path('/v2/org/app/tags/list')).toEqual({ family: 'tags', name: 'org/app', reference: '' });
    expect(matchV2Path(`/v2/org/app/referrers/${digest}`)).toEqual({
      family: 'referrers',
      name: 'org/app',
      reference: digest,
    });
  });

  it('lets a name component be a keyword', () => {
    expect(matchV2Path('/v2/blobs/manifests/manifests/latest')).toEqual({
      family: 'manifest',
      name: 'blobs/manifests',
      reference: 'latest',
    });
    expect(matchV2Path(`/v2/tags/blobs/uploads/blobs/${digest}`)).toEqual({
      family: 'blob',
      name: 'tags/blobs/uploads',
      reference: digest,
    });
  });

  it('decodes percent-encoded references', () => {
    expect(matchV2Path(`/v2/ns/app/blobs/sha256%3A${'b'.repeat(64)}`)?.reference).toBe(`sha256:${'b'.repeat(64)}`);
  });

  it('refuses invalid names with NameInvalidError', () => {
    for (const name of ['UPPER/app', 'a', 'app/', 'a//b', '-lead', 'x'.repeat(257)]) {
      expect(() => matchV2Path(`/v2/${name}/tags/list`), name).toThrow(NameInvalidError);
    }
  });

  it('serves nothing else', () => {
    expect(matchV2Path('/v2/app/unknown/thing')).toBeUndefined();
    expect(matchV2Path('/v2/app')).toBeUndefined();
    expect(matchV2Path('/v20/x/tags/list')).toBeUndefined();
    expect(matchV2Path('/v1/uploads')).toBeUndefined();
  });
});
