// src/cli/load-commander.ts — commander's runtime values for mdatp, loaded with require().
// commander is CommonJS; importing it from ESM goes through its esm.mjs wrapper and node's
// CommonJS export lexer, a few milliseconds more on every mdatp call than require(). Types still
// come from `import type ... from 'commander'`. Owns this loading only.
import { createRequire } from 'node:module';

export type Commander = typeof import('commander');

export function loadCommander(): Commander {
  return createRequire(import.meta.url)('commander') as Commander;
}
