// src/cli/commands/exclusion.ts — `mdatp exclusion folder|file|extension|process add|remove`
// and `mdatp exclusion list`, with MDE's messages.
import type { Command } from 'commander';
import { CliError } from '../client.js';
import { leaf } from '../context.js';

interface Listed {
  type: string;
  path?: string;
  extension?: string;
  name?: string;
  scope: string;
  managed: boolean;
}

const KINDS = {
  folder: { label: 'Folder', flag: 'path' },
  file: { label: 'File', flag: 'path' },
  extension: { label: 'Extension', flag: 'name' },
  process: { label: 'Process', flag: 'name|path' },
} as const;

export function registerExclusion(program: Command): void {
  const ex = program.command('exclusion').description('manage exclusions');
  for (const [type, k] of Object.entries(KINDS)) {
    const group = ex.command(type).description(`${type} exclusions`);
    for (const verb of ['add', 'remove'] as const) {
      const cmd = leaf<{ path?: string; name?: string; scope: string }>(group, verb, `${verb} a ${type} exclusion`, async (o, { client, out }) => {
        const value = k.flag === 'path' ? o.path : k.flag === 'name' ? o.name : (o.path ?? o.name);
        if (!value) throw new CliError(`missing ${k.flag === 'name|path' ? '--name or --path' : `--${k.flag}`}`, 'WDAV_ERR_INVALID_ARGUMENT', 2);
        const r = await client.request<unknown>(verb === 'add' ? 'POST' : 'DELETE', '/v1/exclusions', { type, value, scope: o.scope });
        if (out.format === 'json') return out.json(r);
        out.line(verb === 'add' ? `${k.label} exclusion configured successfully` : `${k.label} exclusion removed successfully`);
      }).option('--scope <scope>', 'epp (antivirus) or global', 'epp');
      if (k.flag !== 'name') cmd.option('--path <path>', 'absolute path (MDE wildcards * and ? allowed)');
      if (k.flag !== 'path') cmd.option('--name <name>', type === 'extension' ? 'file extension, e.g. .log' : 'process name, e.g. cat');
    }
  }
  leaf(ex, 'list', 'list exclusions', async (_o, { client, out }) => {
    const r = await client.request<{ exclusions: Listed[] }>('GET', '/v1/exclusions');
    if (out.format === 'json') return out.json(r.exclusions);
    if (r.exclusions.length === 0) return out.line('No exclusions');
    const sep = '=====================================';
    for (const e of r.exclusions) {
      out.line(sep);
      out.line(`Exclusion type: "${e.type}"`);
      if (e.path !== undefined) out.line(`Exclusion path: "${e.path}"`);
      if (e.extension !== undefined) out.line(`Exclusion extension: "${e.extension}"`);
      if (e.name !== undefined) out.line(`Exclusion name: "${e.name}"`);
      out.line(`Exclusion scope: "${e.scope}"`);
      out.line(`Is exclusion managed: ${e.managed}`);
    }
    out.line(sep);
  });
}
