// src/cli/commands/version.ts — `mdatp version`.
import type { Command } from 'commander';
import { leaf } from '../context.js';

export function registerVersion(program: Command): void {
  leaf(program, 'version', 'show product versions', async (_o, { client, out }) => {
    const r = await client.request<{ app_version: string; engine_version: string | null; definitions_version: string | null }>('GET', '/v1/version');
    if (out.format === 'json') return out.json(r);
    out.line(`Product version: ${r.app_version}`);
    if (r.engine_version) out.line(`Engine version: ${r.engine_version}`);
    if (r.definitions_version) out.line(`Definitions version: ${r.definitions_version}`);
  });
}
