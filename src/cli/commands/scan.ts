// src/cli/commands/scan.ts — `mdatp scan quick|full|custom|list|cancel`, as in MDE. A scan runs
// in the daemon; this command asks for it and follows its NDJSON event stream, shows progress
// (scan-progress.ts), and ends with MDE's summary or one JSON document (--output json).
// Ctrl-C (or SIGTERM) cancels the scan this command started; a second Ctrl-C leaves at once.
import type { Command } from 'commander';
import type { IncomingMessage } from 'node:http';
import { CliError, type Client } from '../client.js';
import { leaf } from '../context.js';
import { fieldLines, type Out } from '../output.js';
import { STATE_LABEL, type ScanEvent, type ScanProgress, type ScanSummary, type ScanThreat } from '../../scan/types.js';
import { progressView } from './scan-progress.js';

interface StartBody {
  type: 'quick' | 'full' | 'custom';
  paths?: string[];
  ignoreExclusions?: boolean;
  follow: true;
}

/** Reads NDJSON lines from a response, one parsed object at a time. */
async function* lines(res: IncomingMessage): AsyncGenerator<ScanEvent | { event: 'error'; code: string; message: string }> {
  let buf = '';
  res.setEncoding('utf8');
  for await (const chunk of res as AsyncIterable<string>) {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) yield JSON.parse(line);
    }
  }
}

function jsonResult(s: ScanSummary, threats: ScanThreat[]): Record<string, unknown> {
  return {
    id: s.id,
    type: s.type,
    state: s.state,
    paths: s.paths,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    durationMs: s.durationMs,
    filesScanned: s.filesScanned,
    bytesScanned: s.bytesScanned,
    threatsDetected: s.threatsDetected,
    skipped: s.skipped,
    errors: s.errors,
    scanTimeouts: s.scanTimeouts ?? 0,
    unscanned: s.unscanned ?? 0,
    threats,
    details: s.details,
    message: s.message,
  };
}

async function runScan(client: Client, out: Out, body: StartBody): Promise<void> {
  const res = await client.stream('POST', '/v1/scans', body);
  const view = progressView();
  let scanId: string | null = null;
  let interrupted = 0;
  const onSignal = (): void => {
    interrupted++;
    if (interrupted > 1 || !scanId) {
      view.stop();
      process.stderr.write('mdatp: interrupted\n');
      process.exit(130);
    }
    view.note('Cancelling the scan (press Ctrl-C again to leave without waiting)...');
    client.request('POST', '/v1/scans/cancel', { id: scanId }).catch((e: Error) => view.note(`mdatp: cannot cancel the scan: ${e.message}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (out.format === 'text') out.line('Scanning, please wait this may take a while.');
    for await (const ev of lines(res)) {
      switch (ev.event) {
        case 'started':
        case 'progress':
          scanId = ev.scan.id;
          view.update(ev.scan as ScanProgress);
          break;
        case 'threat':
          break;
        case 'error':
          throw new CliError(ev.message, ev.code);
        case 'end':
          view.stop();
          return finish(out, ev.scan, ev.threats, interrupted > 0);
      }
    }
    view.stop();
    throw new CliError('The daemon closed the scan stream before the scan ended', 'WDAV_ERR_DAEMON_UNREACHABLE');
  } finally {
    view.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function finish(out: Out, s: ScanSummary, threats: ScanThreat[], interrupted: boolean): void {
  if (out.format === 'json') out.json(jsonResult(s, threats));
  else {
    out.line(s.state === 'succeeded' ? 'Scan has finished' : s.state === 'cancelled' ? 'Scan was cancelled' : 'Scan has failed');
    out.line(`\t${s.filesScanned} file(s) scanned`);
    out.line(`\t${s.threatsDetected} threat(s) detected`);
    if (s.scanTimeouts) out.line(`\t${s.scanTimeouts} file(s) reached the scan time limit (scan_timeout): judged without a complete YARA scan`);
    for (const t of threats) out.line(`\t\tThreat(s) found: ${t.name} in ${t.path}${t.memberPath ? ` -> ${t.memberPath}` : ''}`);
    // Archive members it could not look into: said, so that no archive passes for clean unseen.
    if (s.unscanned) {
      out.line(`\t${s.unscanned} archive member(s) not scanned`);
      for (const u of s.details.unscanned ?? []) out.line(`\t\tNot scanned: ${u.path} -> ${u.member} (${u.reason}${u.method ? `: ${u.method}` : ''})`);
      if ((s.details.unscanned?.length ?? 0) < s.unscanned) out.line('\t\t... (the first ones listed; --output json for the list)');
    }
  }
  if (s.state === 'cancelled') throw new CliError(`Scan was cancelled${s.message ? ` (${s.message})` : ''}`, 'WDAV_ERR_SCAN_CANCELLED', interrupted ? 130 : 1);
  if (s.state === 'failed') throw new CliError(`Scan has failed: ${s.message ?? 'unknown reason'}`, 'WDAV_ERR_INTERNAL');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function registerScan(program: Command): void {
  const scan = program.command('scan').description('run on-demand scans');
  leaf(scan, 'quick', 'scan the places malware usually lives (/home /tmp /var /srv /opt /etc /run /lib /usr /boot)', (_o, { client, out }) =>
    runScan(client, out, { type: 'quick', follow: true }),
  );
  leaf(scan, 'full', 'scan every file on local filesystems', (_o, { client, out }) => runScan(client, out, { type: 'full', follow: true }));
  leaf<{ path?: string[]; ignoreExclusions?: boolean }>(scan, 'custom', 'scan a file or directory', async (o, { client, out }) => {
    if (!o.path?.length) throw new CliError('missing --path', 'WDAV_ERR_INVALID_ARGUMENT', 2);
    const paths = o.path.map((p) => (p.startsWith('/') ? p : `${process.cwd()}/${p}`));
    return runScan(client, out, { type: 'custom', paths, ignoreExclusions: o.ignoreExclusions === true, follow: true });
  })
    .option('--path <path>', 'file or directory to scan (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--ignore-exclusions', 'scan excluded files too');

  leaf<{ limit?: string }>(scan, 'list', 'list recent on-demand scans', async (o, { client, out }) => {
    const q = o.limit ? `?limit=${encodeURIComponent(o.limit)}` : '';
    const r = await client.request<{ scans: ScanSummary[] }>('GET', `/v1/scans${q}`);
    if (out.format === 'json') return out.json(r.scans);
    if (r.scans.length === 0) return out.line('No scans');
    const sep = '=====================================';
    for (const s of r.scans) {
      out.line(sep);
      out.line(
        fieldLines({
          id: s.id,
          type: s.type,
          start: s.startedAt,
          duration: seconds(s.state === 'running' ? Date.now() - Date.parse(s.startedAt) : s.durationMs),
          files_scanned: s.filesScanned,
          threats: s.threatsDetected,
          unscanned: s.unscanned ?? 0,
          state: STATE_LABEL[s.state],
        }),
      );
    }
    out.line(sep);
  }).option('--limit <n>', 'how many scans to show (default 100)');

  leaf<{ id?: string }>(scan, 'cancel', 'cancel the running on-demand scan(s)', async (o, { client, out }) => {
    const r = await client.request<{ cancelled: string[] }>('POST', '/v1/scans/cancel', o.id ? { id: o.id } : {});
    if (out.format === 'json') return out.json(r);
    out.line(r.cancelled.length === 1 ? 'Scan cancelled' : `${r.cancelled.length} scans cancelled`);
  }).option('--id <id>', 'the scan to cancel (default: every running scan)');
}
