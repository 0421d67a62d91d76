import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { createPublicBaseUrl } from './public-base-url.js';

/** Only what the resolver reads from a request. */
function request(host: string | undefined): Request {
  return { protocol: 'http', get: (name: string) => (name.toLowerCase() === 'host' ? host : undefined) } as Request;
}

const defaults = { publicUrl: undefined, allowedHosts: ['localhost', '127.0.0.1', '[::1]'], listenHost: '127.0.0.1' };

describe('createPublicBaseUrl', () => {
  it('uses PUBLIC_URL whatever the Host says', () => {
    const baseUrl = createPublicBaseUrl({ ...defaults, publicUrl: 'https://registry.example.com' });
    expect(baseUrl(request('evil.example'))).toBe('https://registry.example.com');
  });

  it('uses an allowed Host on any port, lower-cased', () => {
    const baseUrl = createPublicBaseUrl(defaults);
    expect(baseUrl(request('LOCALHOST:5000'))).toBe('http://localhost:5000');
    expect(baseUrl(request('[::1]:8080'))).toBe('http://[::1]:8080');
  });

  it('refuses a Host that is not configured, naming the settings', () => {
    const baseUrl = createPublicBaseUrl(defaults);
    expect(() => baseUrl(request('evil.example'))).toThrow(/ALLOWED_HOSTS or set PUBLIC_URL/);
    expect(() => baseUrl(request(undefined))).toThrow(/no valid Host header/);
    expect(() => baseUrl(request('a b'))).toThrow(/no valid Host header/);
  });

  it('honours name:port entries, bare IPv6 entries, the listen address and *', () => {
    const baseUrl = createPublicBaseUrl({
      ...defaults,
      allowedHosts: ['registry.internal:5000', '::1'],
      listenHost: '10.0.0.7',
    });
    expect(baseUrl(request('registry.internal:5000'))).toBe('http://registry.internal:5000');
    expect(() => baseUrl(request('registry.internal:5001'))).toThrow(/ALLOWED_HOSTS/);
    expect(baseUrl(request('[::1]:1'))).toBe('http://[::1]:1');
    expect(baseUrl(request('10.0.0.7:5000'))).toBe('http://10.0.0.7:5000');
    expect(() => baseUrl(request('localhost'))).toThrow(/ALLOWED_HOSTS/);
    const wildcardListen = createPublicBaseUrl({ ...defaults, allowedHosts: [], listenHost: '0.0.0.0' });
    expect(() => wildcardListen(request('0.0.0.0:5000'))).toThrow(/ALLOWED_HOSTS/);
    const anyHost = createPublicBaseUrl({ ...defaults, allowedHosts: ['*'] });
    expect(anyHost(request('anything.example:1234'))).toBe('http://anything.example:1234');
  });
});
