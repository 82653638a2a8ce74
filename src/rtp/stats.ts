// src/rtp/stats.ts — `mdatp diagnostic real-time-protection-statistics`: per process, how many
// files real-time protection scanned for it and how long the scans took (MDE: "only events
// which triggered scans are counted"; statistics live in memory since the daemon started).
// Keyed by pid + start time so a reused pid starts a new row; bounded (LRU, evictions counted).
// Owns: the counters. Must not: read /proc itself (the caller passes the process identity).
import { Lru } from './lru.js';
import type { ProcessIdentity } from './process-info.js';

export interface ProcessCounter {
  id: number;
  name: string;
  path: string;
  totalFilesScanned: number;
  scanTimeNs: bigint;
  startTime: number;
}

export interface ProcessStatsRow {
  id: number;
  name: string;
  path: string;
  total_files_scanned: number;
  scan_time_ns: string;
  status: 'Active' | 'Terminated';
}

export class ProcessStats {
  private readonly lru: Lru<string, ProcessCounter>;

  constructor(capacity = 4096) {
    this.lru = new Lru(capacity);
  }

  record(p: ProcessIdentity, scanNs: bigint): void {
    const key = `${p.pid}:${p.startTime}`;
    let c = this.lru.get(key);
    if (!c) {
      c = { id: p.pid, name: p.name ?? '', path: p.exe ?? '', totalFilesScanned: 0, scanTimeNs: 0n, startTime: p.startTime };
      this.lru.set(key, c);
    }
    c.totalFilesScanned++;
    c.scanTimeNs += scanNs;
  }

  /** Rows in MDE's shape; `alive(pid, startTime)` says whether that process still runs. */
  rows(alive: (pid: number, startTime: number) => boolean, opts: { sort?: boolean; top?: number } = {}): ProcessStatsRow[] {
    const all = [...this.lru.values()];
    if (opts.sort) all.sort((a, b) => b.totalFilesScanned - a.totalFilesScanned || (b.scanTimeNs > a.scanTimeNs ? 1 : b.scanTimeNs < a.scanTimeNs ? -1 : 0));
    const picked = opts.top !== undefined ? all.slice(0, opts.top) : all;
    return picked.map((c) => ({
      id: c.id,
      name: c.name,
      path: c.path,
      total_files_scanned: c.totalFilesScanned,
      scan_time_ns: c.scanTimeNs.toString(),
      status: alive(c.id, c.startTime) ? 'Active' : 'Terminated',
    }));
  }

  get size(): number {
    return this.lru.size;
  }

  get evictions(): number {
    return this.lru.evictions;
  }

  clear(): void {
    this.lru.clear();
  }
}
