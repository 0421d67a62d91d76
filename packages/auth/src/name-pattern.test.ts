import { describe, expect, it } from 'vitest';
import { NamePattern } from './name-pattern.js';

describe('NamePattern', () => {
  it('matches IAM-style wildcards, across slashes, anchored', () => {
    const teamA = new NamePattern('team-a/*');
    expect(teamA.matches('team-a/app')).toBe(true);
    expect(teamA.matches('team-a/x/y')).toBe(true);
    expect(teamA.matches('team-b/app')).toBe(false);
    expect(teamA.matches('x/team-a/app')).toBe(false);
    expect(new NamePattern('app-?').matches('app-1')).toBe(true);
    expect(new NamePattern('app-?').matches('app-12')).toBe(false);
    expect(new NamePattern('*').matches('anything/at/all')).toBe(true);
  });

  it('treats regular-expression characters literally', () => {
    expect(new NamePattern('a.b').matches('a.b')).toBe(true);
    expect(new NamePattern('a.b').matches('axb')).toBe(false);
  });

  it('matches actions without regard to case when asked', () => {
    const getStar = new NamePattern('ecr:Get*', { ignoreCase: true });
    expect(getStar.matches('ecr:GetDownloadUrlForLayer')).toBe(true);
    expect(getStar.matches('ECR:getauthorizationtoken')).toBe(true);
    expect(getStar.matches('ecr:PutImage')).toBe(false);
  });
});
