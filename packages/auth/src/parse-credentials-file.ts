import { AccessKey, type Grant } from './access-key.js';
import { CredentialsError } from './credentials-error.js';
import { ecrActions } from './ecr-actions.js';
import { NamePattern } from './name-pattern.js';

/** What a credentials file holds, once validated. */
export interface CredentialsFileContents {
  keys: AccessKey[];
  anonymousPull: NamePattern[];
}

const ACCESS_KEY_ID = /^[A-Za-z0-9]{4,128}$/;
const MIN_SECRET_LENGTH = 8;
/** A repository name pattern: the characters ECR allows in names, plus the wildcards. */
const REPOSITORY_PATTERN = /^[a-z0-9._/*?-]{1,256}$/;
const ACTION_PATTERN = /^(\*|ecr:[A-Za-z*?]{1,64})$/;

/**
 * Validates the JSON credentials file and reports every problem at once, by its place in the file:
 * `{"keys": [{"accessKeyId", "secretAccessKey", "sessionToken"?, "allow": [{"actions": [...],
 * "repositories": [...]}]}], "anonymousPull": [...]}`. Unknown fields are errors (typos must not
 * silently grant or withhold access). Messages never contain a secret.
 */
export function parseCredentialsFile(text: string, source: string): CredentialsFileContents {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new CredentialsError(source, [`not valid JSON: ${(err as Error).message}`]);
  }
  const problems: string[] = [];
  const keys: AccessKey[] = [];
  const anonymousPull: NamePattern[] = [];
  if (!isObject(document)) throw new CredentialsError(source, ['the file must hold a JSON object']);
  unknownFields(document, ['keys', 'anonymousPull'], '', problems);

  const rawKeys = document.keys ?? [];
  if (!Array.isArray(rawKeys)) problems.push('keys: must be a list of access keys');
  else {
    const seen = new Set<string>();
    rawKeys.forEach((raw, i) => {
      const key = parseKey(raw, `keys[${i}]`, problems);
      if (!key) return;
      if (seen.has(key.accessKeyId)) problems.push(`keys[${i}].accessKeyId: '${key.accessKeyId}' appears twice`);
      seen.add(key.accessKeyId);
      keys.push(key);
    });
  }

  const rawAnonymous = document.anonymousPull ?? [];
  if (!Array.isArray(rawAnonymous)) problems.push('anonymousPull: must be a list of repository name patterns');
  else anonymousPull.push(...repositoryPatterns(rawAnonymous, 'anonymousPull', problems));

  if (problems.length > 0) throw new CredentialsError(source, problems);
  return { keys, anonymousPull };
}

function parseKey(raw: unknown, at: string, problems: string[]): AccessKey | undefined {
  if (!isObject(raw)) {
    problems.push(`${at}: must be an object with accessKeyId, secretAccessKey and allow`);
    return undefined;
  }
  const before = problems.length;
  unknownFields(raw, ['accessKeyId', 'secretAccessKey', 'sessionToken', 'allow', 'description'], at, problems);
  const { accessKeyId, secretAccessKey, sessionToken, allow } = raw;
  if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID.test(accessKeyId)) {
    problems.push(`${at}.accessKeyId: must be 4 to 128 letters and digits (like AKIAIOSFODNN7EXAMPLE)`);
  }
  if (typeof secretAccessKey !== 'string' || secretAccessKey.length < MIN_SECRET_LENGTH) {
    problems.push(`${at}.secretAccessKey: must be a string of at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (sessionToken !== undefined && (typeof sessionToken !== 'string' || sessionToken.length === 0)) {
    problems.push(`${at}.sessionToken: must be a non-empty string when given`);
  }
  const grants: Grant[] = [];
  if (!Array.isArray(allow) || allow.length === 0) {
    problems.push(`${at}.allow: must be a non-empty list of {"actions": [...], "repositories": [...]}`);
  } else {
    allow.forEach((g, j) => {
      const grant = parseGrant(g, `${at}.allow[${j}]`, problems);
      if (grant) grants.push(grant);
    });
  }
  if (problems.length > before) return undefined;
  return new AccessKey(accessKeyId as string, secretAccessKey as string, grants, sessionToken as string | undefined);
}

function parseGrant(raw: unknown, at: string, problems: string[]): Grant | undefined {
  if (!isObject(raw)) {
    problems.push(`${at}: must be an object with actions and repositories`);
    return undefined;
  }
  unknownFields(raw, ['actions', 'repositories'], at, problems);
  const actions: NamePattern[] = [];
  if (!Array.isArray(raw.actions) || raw.actions.length === 0) {
    problems.push(`${at}.actions: must be a non-empty list such as ["ecr:BatchGetImage", "ecr:Get*"]`);
  } else {
    raw.actions.forEach((action, k) => {
      if (typeof action !== 'string' || !ACTION_PATTERN.test(action)) {
        problems.push(`${at}.actions[${k}]: must be "ecr:<Action>" (wildcards * and ? allowed) or "*"`);
        return;
      }
      const pattern = new NamePattern(action, { ignoreCase: true });
      if (!ecrActions.some((known) => pattern.matches(known))) {
        problems.push(`${at}.actions[${k}]: '${action}' matches no ECR action Longshore knows`);
        return;
      }
      actions.push(pattern);
    });
  }
  if (!Array.isArray(raw.repositories) || raw.repositories.length === 0) {
    problems.push(`${at}.repositories: must be a non-empty list of repository name patterns such as ["team-a/*"]`);
    return undefined;
  }
  const repositories = repositoryPatterns(raw.repositories, `${at}.repositories`, problems);
  return { actions, repositories };
}

function repositoryPatterns(raw: unknown[], at: string, problems: string[]): NamePattern[] {
  const patterns: NamePattern[] = [];
  raw.forEach((value, i) => {
    if (typeof value !== 'string' || !REPOSITORY_PATTERN.test(value)) {
      problems.push(
        `${at}[${i}]: must be a repository name pattern (lowercase letters, digits, . _ - /, wildcards * and ?)`,
      );
      return;
    }
    patterns.push(new NamePattern(value));
  });
  return patterns;
}

function unknownFields(value: Record<string, unknown>, known: string[], at: string, problems: string[]): void {
  for (const field of Object.keys(value)) {
    if (!known.includes(field)) {
      problems.push(`${at ? `${at}.` : ''}${field}: unknown field (expected one of ${known.join(', ')})`);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
