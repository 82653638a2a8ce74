#!/usr/bin/env node
// Writes docs/errors.md from the compiled error registry (run `npm run build:ts` first).
import fs from 'node:fs';
import { renderErrorsDoc } from '../dist/shared/errors-doc.js';

fs.writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
console.log('docs/errors.md written');
