#!/usr/bin/env node
// scripts/bundle-cli.mjs — bundles the compiled CLI (dist/cli/main.js and what it imports) into
// one CommonJS file, dist/cli/mdatp.cjs, which bin/mdatp.cjs runs. Why: Node 20 initialises its
// ES module loader for an ES module entry and resolves, reads and links each module on the way
// (~15 ms of every mdatp call here, docs/cli.md "Start-up time"); a CommonJS file needs none of
// that. commander and cli-progress stay outside (loaded with require when a command needs
// them), and import.meta.url is the bundle's own URL (every module it replaces sat two levels
// below the package root, like dist/cli/mdatp.cjs). Run by `npm run build:ts` (and so by
// `npm ci`, through prepare) after tsc.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/mdatp.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['commander', 'cli-progress'],
  define: { 'import.meta.url': '__mdatpBundleUrl' },
  banner: { js: "'use strict';\nconst __mdatpBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
