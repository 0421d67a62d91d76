import { describe, expect, it } from 'vitest';
import { parseHostHeader } from './host-header.js';

describe('parseHostHeader', () => {
  it.each([
    ['localhost', { hostname: 'localhost' }],
    ['127.0.0.1:5000', { hostname: '127.0.0.1', port: 5000 }],
    ['Registry.Example.COM:443', { hostname: 'registry.example.com', port: 443 }],
    ['[::1]', { hostname: '[::1]' }],
    ['[::1]:5000', { hostname: '[::1]', port: 5000 }],
    ['a', { hostname: 'a' }],
  ])('accepts %j', (raw, parsed) => {
    expect(parseHostHeader(raw)).toEqual(parsed);
  });

  it.each([
    'a b',
    '[::1',
    '::1',
    'evil:99999',
    'evil:0',
    'evil:',
    'x@y',
    'x/y',
    'x?y',
    '',
    '-start.example',
    '[zz::1]',
    'host:80:80',
    'é.example',
  ])('refuses %j', (raw) => {
    expect(parseHostHeader(raw)).toBeUndefined();
  });
});
