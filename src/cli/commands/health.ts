// src/cli/commands/health.ts — `mdatp health [--field NAME] [--details GROUP]`.
import type { Command } from 'commander';
import { leaf } from '../context.js';
import { fieldLines, formatValue } from '../output.js';

interface HealthReport {
  fields: Record<string, unknown>;
  managed: string[];
}

export function registerHealth(program: Command): void {
  leaf<{ field?: string; details?: string }>(program, 'health', 'show the health of the product', async (o, { client, out }) => {
    const q = new URLSearchParams();
    if (o.details) q.set('details', o.details);
    if (o.field) q.set('field', o.field);
    const r = await client.request<HealthReport>('GET', `/v1/health${q.size ? `?${q}` : ''}`);
    if (out.format === 'json') return out.json(o.field ? r.fields[o.field] : r.fields);
    if (o.field) return out.line(formatValue(r.fields[o.field]) + (r.managed.includes(o.field) ? ' [managed]' : ''));
    out.line(fieldLines(r.fields, r.managed));
  })
    .option('--field <name>', 'print one field')
    .option('--details <group>', 'print a details group (definitions, features, ...)');
}
