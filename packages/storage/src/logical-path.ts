import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InvalidPathError } from './errors.js';

// Starting with an alphanumeric rules out '.', '..', hidden names and driver temp files.
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isValidPathSegment(name: string): boolean {
  return SEGMENT.test(name);
}

/**
 * Logical paths are relative and '/'-separated, and every segment matches
 * /^[A-Za-z0-9][A-Za-z0-9._-]*$/. Throws InvalidPathError otherwise.
 */
export function validateLogicalPath(path: string): void {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidPathError(String(path), 'empty path');
  }
  for (const segment of path.split('/')) {
    if (segment === '') throw new InvalidPathError(path, 'empty segment (leading, trailing or double slash)');
    if (!SEGMENT.test(segment)) {
      throw new InvalidPathError(path, `segment ${JSON.stringify(segment)} must match ${SEGMENT.source}`);
    }
  }
}

/** The absolute path of a logical path under rootDir. */
export function resolveLogicalPath(rootDir: string, path: string): string {
  validateLogicalPath(path);
  const root = resolve(rootDir);
  const resolved = resolve(root, ...path.split('/'));
  // Validation already makes escaping impossible; this guards against a future loosening of it.
  const fromRoot = relative(root, resolved);
  if (fromRoot === '' || fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot)) {
    throw new InvalidPathError(path, 'resolves outside the storage root');
  }
  return resolved;
}
