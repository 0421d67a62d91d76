import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The compiled entry point of a workspace app, found through its package (works in Docker too). */
export function locateApp(name: '@longshore/api' | '@longshore/worker'): string {
  const manifest = require.resolve(`${name}/package.json`);
  return path.join(path.dirname(manifest), 'dist', 'main.js');
}
