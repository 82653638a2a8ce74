// src/cli/commands/rtp-diagnostic.ts — the real-time protection diagnostics under
// `mdatp diagnostic` (MDE's names and text layout):
//   real-time-protection-statistics [--sort] [--top N]   per process: files scanned, scan time
//   hot-event-sources files|executables [--seconds S] [--top N]   top event sources, recent window
// Both take --output json (statistics: { counters: [...] }; hot sources: MDE's report shape).
import type { Command } from 'commander';
import { leaf } from '../context.js';
import { loadCommander } from '../load-commander.js';

interface StatsRow {
  id: number;
  name: string;
  path: string;
  total_files_scanned: number;
  scan_time_ns: string;
  status: string;
}

interface HotReport {
  kind: 'files' | 'executables';
  startTime: number;
  endTime: number;
  seconds: number;
  totalEvent: number;
  untracked: number;
  eventSource: { path: string; authCount: number; notifyCount: number; pidCount: number }[];
}

const SEP = '=====================================';

function positiveInt(what: string) {
  return (v: string): number => {
    if (!/^[0-9]{1,7}$/.test(v) || Number(v) < 1) throw new (loadCommander().InvalidArgumentError)(`${what} must be a positive integer`);
    return Number(v);
  };
}

export function registerRtpDiagnostic(diag: Command): void {
  leaf<{ sort?: boolean; top?: number }>(diag, 'real-time-protection-statistics', 'per-process real-time protection scan statistics', async (o, { client, out }) => {
    const q = new URLSearchParams();
    if (o.sort) q.set('sort', 'true');
    if (o.top !== undefined) q.set('top', String(o.top));
    const r = await client.request<{ counters: StatsRow[] }>('GET', `/v1/rtp/statistics${q.size ? `?${q}` : ''}`);
    if (out.format === 'json') return out.json(r);
    out.line(SEP);
    for (const c of r.counters) {
      out.line(`Process id: ${c.id}`);
      out.line(`Name: ${c.name}`);
      out.line(`Path: ${JSON.stringify(c.path)}`);
      out.line(`Total files scanned: ${c.total_files_scanned}`);
      out.line(`Scan time (ns): ${JSON.stringify(c.scan_time_ns)}`);
      out.line(`Status: ${c.status}`);
      out.line(SEP);
    }
  })
    .option('--sort', 'sort by files scanned, most first')
    .option('--top <n>', 'show only the first N processes', positiveInt('--top'));

  const hot = diag.command('hot-event-sources').description('top sources of real-time events over the last minute: files or executables');
  for (const kind of ['files', 'executables'] as const) {
    leaf<{ seconds?: number; top?: number }>(hot, kind, `the ${kind === 'files' ? 'file paths' : 'executables'} causing most real-time events`, async (o, { client, out }) => {
      const q = new URLSearchParams({ kind });
      if (o.seconds !== undefined) q.set('seconds', String(o.seconds));
      if (o.top !== undefined) q.set('top', String(o.top));
      const r = await client.request<HotReport>('GET', `/v1/rtp/hot-event-sources?${q}`);
      if (out.format === 'json') {
        return out.json({
          startTime: String(Math.round(r.startTime)),
          endTime: String(Math.round(r.endTime)),
          totalEvent: String(r.totalEvent),
          untrackedEvent: String(r.untracked),
          eventSource: r.eventSource.map((e) => ({ authCount: String(e.authCount), notifyCount: String(e.notifyCount), path: e.path, pidCount: String(e.pidCount) })),
        });
      }
      const secs = Math.max(1, Math.round(r.seconds));
      out.line(`Total Events: ${r.totalEvent} Time: ${secs}s. Throughput: ${+(r.totalEvent / secs).toFixed(4)} events/sec.`);
      out.line(`=========== Top ${r.eventSource.length} Hot Event Sources ===========`);
      out.line(`count\t${kind === 'files' ? 'file path' : 'executable path'}`);
      for (const e of r.eventSource) out.line(`${e.authCount + e.notifyCount}\t${e.path}`);
    })
      .option('--seconds <n>', 'window: the last N seconds (at most 60)', positiveInt('--seconds'))
      .option('--top <n>', 'show only the first N sources (default 100)', positiveInt('--top'));
  }
}
