import { describe, expect, it } from 'vitest';
import { AccessKey } from './access-key.js';
import { CredentialSet } from './credential-set.js';
import { ACCOUNT_WIDE } from './ecr-actions.js';
import { NamePattern } from './name-pattern.js';
import { Permissions } from './permissions.js';
import { anonymous, unrestricted, type Principal } from './principal.js';

const teamA = new AccessKey('AKIATEAMA0001', 'team-a-secret', [
  { actions: [new NamePattern('ecr:*', { ignoreCase: true })], repositories: [new NamePattern('team-a/*')] },
  {
    actions: [new NamePattern('ecr:BatchGetImage', { ignoreCase: true })],
    repositories: [new NamePattern('team-b/*')],
  },
]);
const credentials = new CredentialSet([teamA], [new NamePattern('public/*')]);
const permissions = new Permissions(() => credentials, { registryId: '123456789012', region: 'eu-west-1' });
const asTeamA: Principal = { kind: 'key', key: teamA, via: 'sigv4' };
const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  return undefined;
};

describe('Permissions', () => {
  it('allows what a grant names, on the repositories it names', () => {
    expect(permissions.can(asTeamA, 'ecr:PutImage', 'team-a/app')).toBe(true);
    expect(permissions.can(asTeamA, 'ecr:PutImage', 'team-b/app')).toBe(false);
    expect(permissions.can(asTeamA, 'ecr:BatchGetImage', 'team-b/app')).toBe(true);
    expect(permissions.can(asTeamA, 'ecr:GetAuthorizationToken', ACCOUNT_WIDE)).toBe(true);
  });

  it('lets anyone pull from anonymousPull repositories, and do nothing else', () => {
    expect(permissions.can(anonymous, 'ecr:BatchGetImage', 'public/app')).toBe(true);
    expect(permissions.can(anonymous, 'ecr:GetDownloadUrlForLayer', 'public/app')).toBe(true);
    expect(permissions.can(anonymous, 'ecr:PutImage', 'public/app')).toBe(false);
    expect(permissions.can(anonymous, 'ecr:BatchGetImage', 'team-a/app')).toBe(false);
    expect(failure(() => permissions.require(anonymous, 'ecr:PutImage', 'public/app'))).toMatchObject({
      name: 'MissingAuthenticationTokenException',
    });
  });

  it('denies as ECR does, naming the action and the repository ARN', () => {
    expect(failure(() => permissions.require(asTeamA, 'ecr:PutImage', ['team-a/app', 'team-b/app']))).toEqual({
      name: 'AccessDeniedException',
      message:
        'User: arn:aws:iam::123456789012:user/AKIATEAMA0001 is not authorized to perform: ecr:PutImage on resource: ' +
        'arn:aws:ecr:eu-west-1:123456789012:repository/team-b/app because no identity-based policy allows the ecr:PutImage action',
    });
  });

  it('allows everything when authentication is off', () => {
    expect(permissions.can(unrestricted, 'ecr:DeleteRepository', 'anything')).toBe(true);
  });

  it('gives a key what anonymous callers have: pulls from anonymousPull repositories, and no more', () => {
    expect(permissions.can(asTeamA, 'ecr:BatchGetImage', 'public/app')).toBe(true);
    expect(permissions.can(asTeamA, 'ecr:GetDownloadUrlForLayer', 'public/app')).toBe(true);
    expect(permissions.can(asTeamA, 'ecr:PutImage', 'public/app')).toBe(false);
  });
});
