// src/cli/commands/diagnostic.ts — `mdatp diagnostic create [--path DIR]`.
import path from 'node:path';
import type { Command } from 'commander';
import { leaf } from '../context.js';

export function registerDiagnostic(program: Command): Command {
  const diag = program.command('diagnostic').description('diagnostics');
  leaf<{ path?: string }>(diag, 'create', 'create a diagnostic package (tar.gz)', async (o, { client, out }) => {
    const r = await client.request<{ path: string; files: string[] }>('POST', '/v1/diagnostic', o.path ? { path: path.resolve(o.path) } : {});
    if (out.format === 'json') return out.json(r);
    out.line(`Diagnostic file created: ${r.path}`);
  }).option('--path <dir>', 'directory to write the package to');
  return diag;
}
