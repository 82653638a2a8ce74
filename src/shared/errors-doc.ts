// src/shared/errors-doc.ts — renders docs/errors.md from the registry, so the document can
// never drift from the codes the API and CLI use (`npm run docs:errors` writes it; a test
// checks it is current).
import { ERRORS } from './errors.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERRORS)
    .map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.message} |`)
    .join('\n');
  return `# Error codes

Generated from \`src/shared/errors.ts\` by \`npm run docs:errors\`; do not edit by hand.

Every API error is a JSON body \`{"code": "WDAV_ERR_...", "message": "...", "details"?: {...}}\`
with the HTTP status below. \`mdatp\` prints the message on one line to stderr and exits
non-zero (1 for errors reported by the daemon or the transport, 2 for usage errors).
The message in the table is the default; most errors carry a more specific one.

| code | HTTP status | default message |
|---|---|---|
${rows}
`;
}
