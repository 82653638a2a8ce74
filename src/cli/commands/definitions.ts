// src/cli/commands/definitions.ts — `mdatp definitions update|reload|restore` and
// `mdatp connectivity test`.
import type { Command } from 'commander';
import { leaf } from '../context.js';

interface ConnectivityResult {
  endpoint: string;
  ok: boolean;
  detail: string;
}

/** MDE's line format. */
function formatConnectivity(r: ConnectivityResult): string {
  return `Testing connection with ${r.endpoint} ... ${r.ok ? '[OK]' : `[ERROR] ${r.detail}`}`;
}

export function registerDefinitions(program: Command): void {
  const defs = program.command('definitions').description('security intelligence (definitions)');
  leaf(defs, 'update', 'update definitions from the configured source', async (_o, { client, out }) => {
    const r = await client.request<{ updated: boolean; version: string; generation: number | null }>('POST', '/v1/definitions/update', undefined, { timeoutMs: 45 * 60_000 });
    if (out.format === 'json') return out.json(r);
    out.line(r.updated ? `Definitions updated successfully to version ${r.version}` : `Definitions are up to date (version ${r.version})`);
  });
  leaf(defs, 'reload', 'reload custom drop-in definitions', async (_o, { client, out }) => {
    const r = await client.request<{ issues: string[] }>('POST', '/v1/definitions/reload', undefined, { timeoutMs: 15 * 60_000 });
    if (out.format === 'json') return out.json(r);
    out.line('Definitions reloaded');
    for (const i of r.issues) out.line(`  skipped: ${i}`);
  });
  leaf(defs, 'restore', 'return to the previous definitions', async (_o, { client, out }) => {
    const r = await client.request<{ version: string; generation: number }>('POST', '/v1/definitions/restore', undefined, { timeoutMs: 15 * 60_000 });
    if (out.format === 'json') return out.json(r);
    out.line(`Definitions restored to version ${r.version}`);
  });

  const conn = program.command('connectivity').description('connectivity to the definitions source');
  leaf(conn, 'test', 'test the connection to the update source (and proxy)', async (_o, { client, out }) => {
    const r = await client.request<{ results: ConnectivityResult[] }>('GET', '/v1/connectivity', undefined, { timeoutMs: 120_000 });
    // like MDE: any [ERROR] endpoint makes the command fail, in text and JSON alike
    if (r.results.some((x) => !x.ok)) process.exitCode = 1;
    if (out.format === 'json') return out.json(r.results);
    for (const x of r.results) out.line(formatConnectivity(x));
  });
}
