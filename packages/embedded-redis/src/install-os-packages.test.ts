import { describe, expect, it } from 'vitest';
import { ensureOsPackages } from './install-os-packages.js';

describe('ensureOsPackages', () => {
  it('does nothing (no apt-get, no log) when every requirement is already met', async () => {
    const lines: string[] = [];
    const checked: string[] = [];
    const missing = await ensureOsPackages(
      [
        { package: 'one', present: () => (checked.push('one'), true) },
        { package: 'two', present: () => (checked.push('two'), true) },
      ],
      (line) => lines.push(line),
    );
    expect(missing).toEqual([]);
    expect(checked).toEqual(['one', 'two']);
    expect(lines).toEqual([]);
  });
});
