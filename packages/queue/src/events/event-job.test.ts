import { describe, expect, it } from 'vitest';
import { eventBackoffMs, MAX_EVENT_BACKOFF_MS } from './event-job.js';
import { eventEnvelope } from './event-publisher.js';
import { imageActionEvent } from './image-action-event.js';

describe('event delivery back-off', () => {
  it('starts at the base delay, doubles, and never waits more than an hour', () => {
    expect([1, 2, 3, 4].map((n) => eventBackoffMs(n, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect(eventBackoffMs(13, 1000)).toBe(MAX_EVENT_BACKOFF_MS);
    expect(eventBackoffMs(10_000, 1000)).toBe(MAX_EVENT_BACKOFF_MS);
  });
});

describe('ECR Image Action events', () => {
  it('have the envelope and detail of ECR events on EventBridge', () => {
    const where = { account: '123456789012', region: 'eu-west-1' };
    const event = eventEnvelope(
      imageActionEvent({ actionType: 'PUSH', repositoryName: 'team/app', digest: 'sha256:abc', tag: 'v1' }, where),
      where,
      Date.UTC(2026, 11, 5, 19, 35, 32, 789),
    );
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: '123456789012',
      time: '2026-12-05T19:35:32Z',
      region: 'eu-west-1',
      resources: ['arn:aws:ecr:eu-west-1:123456789012:repository/team/app'],
      detail: {
        result: 'SUCCESS',
        'repository-name': 'team/app',
        'image-digest': 'sha256:abc',
        'action-type': 'PUSH',
        'image-tag': 'v1',
      },
    });
  });
});
