// src/rtp/process-info.ts — who caused a real-time event: name (comm) and executable path of a
// pid, read from /proc/PID/stat and /proc/PID/exe, cached per pid AND start time so a reused
// pid never inherits another process's identity (and its process exclusion). Bounded (LRU).
// Entries younger than `trustMs` are returned without re-reading /proc unless the caller needs
// certainty (process exclusions always re-check the start time). Owns: the cache.
// Must not: open anything but /proc files (procfs is never marked).
import fs from 'node:fs';
import { Lru } from './lru.js';

export interface ProcessIdentity {
  pid: number;
  /** comm (at most 15 characters), null when the process is gone. */
  name: string | null;
  /** readlink(/proc/PID/exe): may end in " (deleted)"; null when unreadable or gone. */
  exe: string | null;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat); 0 when gone. */
  startTime: number;
}

interface Entry extends ProcessIdentity {
  checkedAt: number;
}

/** comm and start time from the text of /proc/PID/stat; null when malformed. */
export function parseStat(text: string): { name: string; startTime: number } | null {
  // comm may contain spaces and parentheses: it ends at the LAST ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); start time is field 22.
  const startTime = Number(rest[19]);
  if (!Number.isFinite(startTime)) return null;
  return { name: text.slice(open + 1, close), startTime };
}

export class ProcessInfoCache {
  private readonly lru: Lru<number, Entry>;
  reads = 0;

  constructor(
    capacity = 4096,
    private readonly trustMs = 1000,
    private readonly proc = '/proc',
  ) {
    this.lru = new Lru(capacity);
  }

  /** The identity of `pid`; with `strict`, the start time is re-read even for a fresh entry. */
  lookup(pid: number, strict = false): ProcessIdentity {
    const now = Date.now();
    const cached = this.lru.get(pid);
    if (cached && !strict && now - cached.checkedAt < this.trustMs) return cached;
    const stat = this.readStat(pid);
    if (!stat) {
      // Gone (or unreadable): keep what we knew if the pid was seen, but never trust it for exclusions.
      return cached && !strict ? cached : { pid, name: null, exe: null, startTime: 0 };
    }
    if (cached && cached.startTime === stat.startTime) {
      cached.checkedAt = now;
      return cached;
    }
    const entry: Entry = { pid, name: stat.name, exe: this.readExe(pid), startTime: stat.startTime, checkedAt: now };
    this.lru.set(pid, entry);
    return entry;
  }

  /** Real uid of the process (for threat records), or undefined. */
  uid(pid: number): number | undefined {
    try {
      const m = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`${this.proc}/${pid}/status`, 'latin1'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  get size(): number {
    return this.lru.size;
  }

  private readStat(pid: number): { name: string; startTime: number } | null {
    this.reads++;
    try {
      return parseStat(fs.readFileSync(`${this.proc}/${pid}/stat`, 'latin1'));
    } catch {
      return null;
    }
  }

  private readExe(pid: number): string | null {
    try {
      return fs.readlinkSync(`${this.proc}/${pid}/exe`);
    } catch {
      return null;
    }
  }
}
