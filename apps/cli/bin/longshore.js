#!/usr/bin/env node
// The `longshore` admin command (apps/cli): built by `npm run build`, run as `npx longshore …`.
import '../dist/main.js';
