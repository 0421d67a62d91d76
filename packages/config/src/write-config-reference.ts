import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from './config-reference.js';

/** `npm run docs`: writes docs/configuration.md from the settings table (run from dist/). */
const page = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
writeFileSync(page, renderConfigReference());
process.stdout.write(`wrote ${page}\n`);
