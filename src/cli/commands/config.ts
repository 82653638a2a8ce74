// src/cli/commands/config.ts — `mdatp config NAME --value V` for the locally changeable
// settings, and `mdatp log level set --level L`.
import type { Command } from 'commander';
import { leaf } from '../context.js';

const CONFIG_NAMES: Record<string, string> = {
  'real-time-protection': 'enabled|disabled',
  'passive-mode': 'enabled|disabled',
  'scan-archives': 'enabled|disabled',
  'maximum-on-demand-scan-threads': '1-64',
  'scan-after-definition-update': 'enabled|disabled',
  'enable-file-hash-computation': 'enabled|disabled',
};

export function registerConfig(program: Command): void {
  const config = program.command('config').description('change a local setting');
  for (const [name, values] of Object.entries(CONFIG_NAMES)) {
    leaf<{ value: string }>(config, name, `set ${name} (${values})`, async (o, { client, out }) => {
      const value = name === 'maximum-on-demand-scan-threads' && /^\d+$/.test(o.value) ? Number(o.value) : o.value;
      const r = await client.request<{ name: string; value: unknown }>('PUT', `/v1/config/${name}`, { value });
      if (out.format === 'json') return out.json(r);
      out.line('Configuration property updated.');
    }).requiredOption('--value <value>', values);
  }

  const log = program.command('log').description('daemon logging');
  const level = log.command('level').description('log level');
  leaf<{ level: string }>(level, 'set', 'set the log level (error, warning, info, verbose, debug)', async (o, { client, out }) => {
    const r = await client.request<{ value: unknown }>('PUT', '/v1/config/log-level', { value: o.level });
    if (out.format === 'json') return out.json(r);
    out.line(`Log level configured successfully`);
  }).requiredOption('--level <level>', 'error|warning|info|verbose|debug');
}
