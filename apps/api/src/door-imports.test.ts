import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));
/** The doors: each only translates its wire, calling the services (docs/architecture.md). */
const DOORS = ['ecr', 'v1', 'v2', 'console'];
/** What a door must not reach past its services for. */
const FORBIDDEN = ['@longshore/metadata', '@longshore/queue'];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every module a file imports or re-exports (static `from '…'`, side-effect `import '…'`, dynamic `import('…')`). */
export function importedModules(source: string): string[] {
  const found = source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g);
  return [...found].map((m) => m[1]!);
}

describe('door imports', () => {
  it('reads every kind of import a file can make', () => {
    const source = [
      "import { a } from '@longshore/metadata';",
      "import type { B } from '@longshore/queue';",
      "export { c } from './c.js';",
      "import '@longshore/side-effect';",
      "const d = await import('@longshore/dynamic');",
    ].join('\n');
    expect(importedModules(source)).toEqual([
      '@longshore/metadata',
      '@longshore/queue',
      './c.js',
      '@longshore/side-effect',
      '@longshore/dynamic',
    ]);
  });

  it(`nothing under apps/api/src/{${DOORS.join(',')}} imports ${FORBIDDEN.join(' or ')}`, async () => {
    const offending: string[] = [];
    let files = 0;
    for (const door of DOORS) {
      for (const file of await sourceFiles(join(SRC, door))) {
        files += 1;
        const modules = importedModules(await readFile(file, 'utf8'));
        for (const module of modules.filter((m) => FORBIDDEN.some((f) => m === f || m.startsWith(`${f}/`)))) {
          offending.push(`${relative(SRC, file)} imports ${module}`);
        }
      }
    }
    expect(files).toBeGreaterThan(20);
    expect(offending).toEqual([]);
  });
});
