import { describe, expect, it } from 'vitest';
import { isCallbackAllowed } from './callback-allowlist.js';

describe('isCallbackAllowed', () => {
  const allowlist = ['http://127.0.0.1:9000/hooks', 'https://ci.example.com/'];

  it('allows URLs under an allowed prefix', () => {
    expect(isCallbackAllowed('http://127.0.0.1:9000/hooks/build-1', allowlist)).toBe(true);
    expect(isCallbackAllowed('https://ci.example.com/anything?x=1', allowlist)).toBe(true);
  });

  it('refuses other hosts, ports, schemes and paths', () => {
    expect(isCallbackAllowed('http://127.0.0.1:9001/hooks', allowlist)).toBe(false);
    expect(isCallbackAllowed('http://127.0.0.1:9000/other', allowlist)).toBe(false);
    expect(isCallbackAllowed('http://ci.example.com/', allowlist)).toBe(false);
    expect(isCallbackAllowed('https://ci.example.com.evil.test/', allowlist)).toBe(false);
    expect(isCallbackAllowed('file:///etc/passwd', allowlist)).toBe(false);
    expect(isCallbackAllowed('https://user:pw@ci.example.com/', allowlist)).toBe(false);
    expect(isCallbackAllowed('not a url', allowlist)).toBe(false);
  });

  it('refuses everything when the allowlist is empty', () => {
    expect(isCallbackAllowed('https://ci.example.com/', [])).toBe(false);
  });
});
