import { describe, expect, it } from 'vitest';
import { PageTokens } from './page-tokens.js';

const tokens = new PageTokens('server-secret-0123456789');

describe('PageTokens', () => {
  it('round-trips a position for the caller it was sealed for, and shows nothing of it', () => {
    const token = tokens.seal('team-b/secret-project', 'AKIATEAMA');
    expect(tokens.open(token, 'AKIATEAMA')).toBe('team-b/secret-project');
    expect(Buffer.from(token, 'base64url').toString('latin1')).not.toContain('team-b');
    expect(tokens.seal('team-b/secret-project', 'AKIATEAMA')).not.toBe(token);
  });

  it('refuses a token of another caller, a tampered one, one of another server, and garbage', () => {
    const token = tokens.seal('team-a/app', 'AKIATEAMA');
    const bytes = Buffer.from(token, 'base64url');
    bytes[bytes.length - 20]! ^= 1;
    for (const [bad, caller] of [
      [token, 'AKIATEAMB'],
      [bytes.toString('base64url'), 'AKIATEAMA'],
      [new PageTokens('another-server-secret-99').seal('team-a/app', 'AKIATEAMA'), 'AKIATEAMA'],
      [Buffer.from('team-a/app').toString('base64url'), 'AKIATEAMA'],
      ['', 'AKIATEAMA'],
    ] as const) {
      expect(() => tokens.open(bad, caller)).toThrow(expect.objectContaining({ name: 'InvalidParameterException' }));
    }
  });
});
