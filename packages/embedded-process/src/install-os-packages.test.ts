import { describe, expect, it } from 'vitest';
import { ensureOsPackages } from './install-os-packages.js';

describe('ensureOsPackages', () => {
  it('does nothing (no apt-get, no log) when every requirement is already met', async () => {
    const lines: string[] = [];
    const checked: string[] = [];
    const present = (name: string) => () => {
      checked.push(name);
      return true;
    };
    const missing = await ensureOsPackages(
      [
        { package: 'one', present: present('one') },
        { package: 'two', present: present('two') },
      ],
      (line) => lines.push(line),
    );
    expect(missing).toEqual([]);
    expect(checked).toEqual(['one', 'two']);
    expect(lines).toEqual([]);
  });
});
