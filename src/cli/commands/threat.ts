// src/cli/commands/threat.ts — `mdatp threat ...`: list, get, quarantine list|add|remove|
// remove-all|restore, allowed add|remove|list, policy set. Restore takes MDE's current forms
// (`restore threat-id --id ID --destination-path DIR`, `restore threat-path --path ORIGINAL
// --destination-path DIR`) and the older `restore --id ID --path DIR`.
import type { Command } from 'commander';
import { Client, CliError, resolveSocket } from '../client.js';
import { leaf, type Ctx } from '../context.js';
import { fieldLines, makeOut, type OutputFormat } from '../output.js';
import type { QuarantineView, ThreatView, AllowedView } from '../../threats/views.js';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

function threatFields(t: ThreatView): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    type: t.type,
    status: t.status,
    path: t.path,
    ...(t.member_path ? { member_path: t.member_path } : {}),
    sha256: t.sha256,
    size: t.size,
    source: t.source,
    ...(t.scan_id ? { scan_id: t.scan_id } : {}),
    engine: t.engine,
    process_id: t.process?.pid ?? null,
    process_name: t.process?.name ?? null,
    process_executable: t.process?.executable ?? null,
    user_id: t.process?.uid ?? null,
    detection_time: t.detection_time,
    last_seen_time: t.last_seen_time,
    occurrences: t.occurrences,
  };
}

async function restore(ctx: Ctx, body: { id?: string; path?: string; destination?: string }): Promise<void> {
  const r = await ctx.client.request<{ threat: ThreatView; destination: string }>('POST', '/v1/quarantine/restore', body);
  if (ctx.out.format === 'json') return ctx.out.json(r);
  ctx.out.line(`Threat restored successfully to ${r.destination}`);
}

function registerQuarantine(threat: Command): void {
  const q = threat.command('quarantine').description('manage quarantined files');
  leaf(q, 'list', 'list quarantined files', async (_o, { client, out }) => {
    const r = await client.request<{ quarantined: QuarantineView[] }>('GET', '/v1/quarantine');
    if (out.format === 'json') return out.json(r.quarantined);
    if (r.quarantined.length === 0) return out.line('No quarantined files');
    out.line(table(['Id', 'Name', 'Quarantined', 'Size', 'Original path'], r.quarantined.map((x) => [x.id, x.name, when(x.quarantined_time), String(x.size), x.original_path])));
  });
  leaf<{ id: string }>(q, 'add', 'quarantine the file of a detected threat', async (o, { client, out }) => {
    const r = await client.request<{ threat: ThreatView }>('POST', '/v1/quarantine', { id: o.id });
    if (out.format === 'json') return out.json(r.threat);
    out.line('Threat quarantined successfully');
  }).requiredOption('--id <id>', 'threat id');
  leaf<{ id: string }>(q, 'remove', 'delete a quarantined file for good', async (o, { client, out }) => {
    const r = await client.request<{ threat: ThreatView }>('DELETE', `/v1/quarantine/${encodeURIComponent(o.id)}`);
    if (out.format === 'json') return out.json(r.threat);
    out.line('Threat removed from quarantine successfully');
  }).requiredOption('--id <id>', 'threat id');
  leaf(q, 'remove-all', 'delete every quarantined file for good', async (_o, { client, out }) => {
    const r = await client.request<{ removed: string[]; failed: { id: string; error: string }[] }>('DELETE', '/v1/quarantine');
    if (out.format === 'json') out.json(r);
    else out.line(`${r.removed.length} threat(s) removed from quarantine`);
    if (r.failed.length > 0) throw new CliError(`could not remove ${r.failed.length} threat(s): ${r.failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`, 'WDAV_ERR_QUARANTINE_FAILED');
  });

  // The older form takes options on `restore` itself; parsed by hand so they do not shadow the
  // same option names of the current subcommands.
  const r = q
    .command('restore')
    .description('restore a quarantined file (subcommands threat-id / threat-path; or the older --id ID --path DIR)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_o: unknown, c: Command) => {
      const legacy = c.createCommand('restore')
        .exitOverride()
        .configureOutput({ writeErr: () => undefined })
        .requiredOption('--id <id>', 'threat id')
        .option('--path <dir>', 'destination directory')
        .addOption(c.createOption('--output <format>').choices(['text', 'json']).default('text'));
      let opts: { id: string; path?: string; output: OutputFormat };
      try {
        opts = legacy.parse(c.args, { from: 'user' }).opts();
      } catch (e) {
        throw new CliError(`restore: ${(e as Error).message.replace(/^error: /, '')} (use: restore threat-id --id ID --destination-path DIR)`, 'WDAV_ERR_INVALID_ARGUMENT', 2);
      }
      let root: Command = c;
      while (root.parent) root = root.parent;
      const ctx: Ctx = { client: new Client(resolveSocket(root.opts<{ socket?: string }>().socket)), out: makeOut(opts.output) };
      await restore(ctx, { id: opts.id, ...(opts.path ? { destination: opts.path } : {}) });
    });
  leaf<{ id: string; destinationPath?: string }>(r, 'threat-id', 'restore by threat id', (o, ctx) =>
    restore(ctx, { id: o.id, ...(o.destinationPath ? { destination: o.destinationPath } : {}) }),
  )
    .requiredOption('--id <id>', 'threat id')
    .option('--destination-path <dir>', 'directory to restore into (default: the original directory)');
  leaf<{ path: string; destinationPath?: string }>(r, 'threat-path', 'restore by the original path', (o, ctx) =>
    restore(ctx, { path: o.path, ...(o.destinationPath ? { destination: o.destinationPath } : {}) }),
  )
    .requiredOption('--path <path>', 'original path of the quarantined file')
    .option('--destination-path <dir>', 'directory to restore into (default: the original directory)');
}

function registerAllowed(threat: Command): void {
  const a = threat.command('allowed').description('threats allowed to run');
  const show = (r: AllowedView, out: Ctx['out']) => {
    if (out.format === 'json') return out.json(r);
    if (r.names.length === 0 && r.hashes.length === 0) return out.line('No allowed threats');
    for (const n of r.names) out.line(`Threat name: ${JSON.stringify(n.name)}${n.source === 'managed' ? ' [managed]' : ''}`);
    for (const h of r.hashes) out.line(`File sha256: ${h.sha256}${h.detail ? ` (${h.detail})` : ''}`);
  };
  leaf<{ name: string }>(a, 'add', 'allow a threat by name', async (o, { client, out }) => {
    const r = await client.request<AllowedView>('POST', '/v1/allowed-threats', { name: o.name });
    if (out.format === 'json') return out.json(r);
    out.line('Threat allowed successfully');
  }).requiredOption('--name <name>', 'threat name, e.g. "Virus:DOS/EICAR_Test_File"');
  leaf<{ name: string }>(a, 'remove', 'remove a threat name (or a restored file sha256) from the allow list', async (o, { client, out }) => {
    const r = await client.request<AllowedView>('DELETE', '/v1/allowed-threats', { name: o.name });
    if (out.format === 'json') return out.json(r);
    out.line('Threat removed from the allowed list successfully');
  }).requiredOption('--name <name>', 'threat name or sha256');
  leaf(a, 'list', 'list allowed threats', async (_o, { client, out }) => show(await client.request<AllowedView>('GET', '/v1/allowed-threats'), out));
}

export function registerThreat(program: Command): void {
  const threat = program.command('threat').description('detected threats, quarantine and allowed threats');
  leaf(threat, 'list', 'list detected threats', async (_o, { client, out }) => {
    const r = await client.request<{ threats: ThreatView[] }>('GET', '/v1/threats');
    if (out.format === 'json') return out.json(r.threats);
    if (r.threats.length === 0) return out.line('No threats found');
    out.line(table(['Id', 'Name', 'Type', 'Status', 'Detection time', 'Path'], r.threats.map((t) => [t.id, t.name, t.type, t.status, when(t.detection_time), t.path + (t.member_path ? `->${t.member_path}` : '')])));
  });
  leaf<{ id: string }>(threat, 'get', 'show one threat with its history', async (o, { client, out }) => {
    const r = await client.request<{ threat: ThreatView }>('GET', `/v1/threats/${encodeURIComponent(o.id)}`);
    if (out.format === 'json') return out.json(r.threat);
    out.line(fieldLines(threatFields(r.threat)));
    out.line('history:');
    for (const h of r.threat.history ?? []) out.line(`  ${when(h.time)}  ${h.status}${h.detail ? `  (${h.detail})` : ''}`);
  }).requiredOption('--id <id>', 'threat id');
  registerQuarantine(threat);
  registerAllowed(threat);
  const policy = threat.command('policy').description('per threat type actions');
  const set = leaf<{ type: string; action: string }>(policy, 'set', 'set the action for a threat type', async (o, { client, out }) => {
    const r = await client.request<unknown>('PUT', '/v1/threat-policy', { type: o.type, action: o.action });
    if (out.format === 'json') return out.json(r);
    out.line('Threat type policy configured successfully');
  });
  set
    .addOption(set.createOption('--type <type>', 'threat type').choices(['potentially_unwanted_application', 'archive_bomb']).makeOptionMandatory())
    .addOption(set.createOption('--action <action>', 'action').choices(['audit', 'block', 'off']).makeOptionMandatory());
}
