import { describe, expect, it } from 'vitest';
import { InvalidPathError } from './errors.js';
import { logicalPathUnder, resolveLogicalPath, validateLogicalPath } from './storage-driver.js';

describe('validateLogicalPath', () => {
  it.each(['a', 'blobs/sha256/ab/abcdef0123/data', 'Repo-1/x_y.z', 'a/b..c', '0'])('accepts %j', (path) => {
    expect(() => validateLogicalPath(path)).not.toThrow();
  });

  it.each([
    '',
    '.',
    '..',
    '../x',
    '/abs',
    'a//b',
    'a/',
    'a/./b',
    'a/../b',
    'a\\b',
    'a\u0000b',
    '_uploads/x',
    '-x',
    'a b',
    'ä',
    'a\n',
  ])('rejects %j with InvalidPathError', (path) => {
    expect(() => validateLogicalPath(path)).toThrow(InvalidPathError);
  });
});

describe('resolveLogicalPath', () => {
  it('resolves under the root, even a root given relatively or with a trailing slash', () => {
    expect(resolveLogicalPath('/srv/store/', 'a/b')).toBe('/srv/store/a/b');
    expect(resolveLogicalPath('/', 'a/b')).toBe('/a/b');
    expect(resolveLogicalPath('rel', 'a')).toBe(`${process.cwd()}/rel/a`);
  });
});

describe('logicalPathUnder', () => {
  it('appends the segments to a resolved root, the file system root included', () => {
    expect(logicalPathUnder('/srv/store', 'uploads/u1/3')).toBe('/srv/store/uploads/u1/3');
    expect(logicalPathUnder('/', 'a/b')).toBe('/a/b');
  });

  it('refuses what validateLogicalPath refuses, so nothing leaves the root', () => {
    for (const path of ['../x', 'a/../../x', './a', 'a//b', '/a', 'a/', '.spare/x', '']) {
      expect(() => logicalPathUnder('/srv/store', path)).toThrow(InvalidPathError);
    }
  });
});
