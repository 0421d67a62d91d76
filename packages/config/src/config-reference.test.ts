import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from './config-reference.js';
import { configSpec, type Setting } from './config-spec.js';
import { integer, text } from './env-parsers.js';

const committedPage = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));

describe('docs/configuration.md', () => {
  it('is exactly what the settings table generates (run `npm run docs` after changing config-spec.ts)', () => {
    expect(readFileSync(committedPage, 'utf8')).toBe(renderConfigReference());
  });

  it('has one row per setting, with its type, default and description', () => {
    const rows = renderConfigReference()
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    expect(rows).toHaveLength(Object.keys(configSpec).length);
    expect(rows).toContainEqual(expect.stringMatching(/^\| `PORT` \| integer 0–65535 \| 5000 \| API listen port \|$/));
    expect(rows).toContainEqual(
      expect.stringMatching(/^\| `MIN_PART_SIZE` \| integer 1–20971520 \| 5242880 \(5 MiB\) \|/),
    );
    expect(rows).toContainEqual(
      expect.stringMatching(/^\| `HASH_THREADS` \| integer 1–256 \| the number of CPU cores \|/),
    );
    expect(rows).toContainEqual(expect.stringMatching(/^\| `STORAGE` \| one of `filesystem`, `s3` \| filesystem \|/));
    expect(rows).toContainEqual(expect.stringMatching(/^\| `PUBLIC_URL` \| URL \(`http:`, `https:`\) \| \(unset\) \|/));
  });

  it('shows a new setting as soon as it is in the table, with a pipe in its text escaped', () => {
    const spec: Record<string, Setting<unknown>> = {
      ...configSpec,
      brandNew: { env: 'BRAND_NEW', description: 'a | b', default: 7, parse: integer({ min: 1 }) },
      computed: { env: 'COMPUTED', description: 'computed', default: () => 'x', parse: text },
    };
    const page = renderConfigReference(spec);
    expect(page).toMatch(/^\| `BRAND_NEW` \| integer ≥ 1 \| 7 \| a \\\| b \|$/m);
    expect(page).toMatch(/^\| `COMPUTED` \| text \| computed at start \| computed \|$/m);
    expect(page).not.toBe(renderConfigReference());
  });
});
