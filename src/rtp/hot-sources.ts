// src/rtp/hot-sources.ts — `mdatp diagnostic hot-event-sources files|executables`: which file
// paths and which executables cause the most real-time events, over a recent window. Counted
// in time buckets (BUCKET_MS each, the last BUCKETS kept); each bucket holds at most `perBucket`
// distinct paths per kind, more are counted as untracked. So memory is bounded whatever the
// event rate, and a query merges only the buckets inside its window.
// Events answered in the kernel (ignore marks) or natively never reach here. Owns: counters.
// Must not: resolve processes (the caller passes the executable path).

export type HotKind = 'files' | 'executables';

interface Count {
  auth: number;
  notify: number;
  /** The first pid; a Set only once a second one shows up (most paths see one process). */
  pid: number;
  pids?: Set<number>;
}

function pidsOf(c: Count): Set<number> {
  return c.pids ?? new Set([c.pid]);
}

interface Bucket {
  start: number;
  total: number;
  untracked: Record<HotKind, number>;
  maps: Record<HotKind, Map<string, Count>>;
}

export interface HotSource {
  path: string;
  authCount: number;
  notifyCount: number;
  pidCount: number;
}

export interface HotReport {
  kind: HotKind;
  startTime: number;
  endTime: number;
  seconds: number;
  totalEvent: number;
  untracked: number;
  eventSource: HotSource[];
}

const BUCKET_MS = 5_000;
const BUCKETS = 12;
const PIDS_PER_PATH = 256;

export class HotSources {
  private readonly buckets: Bucket[] = [];

  constructor(
    private readonly perBucket = 1024,
    private readonly now: () => number = Date.now,
  ) {}

  /** One event: `auth` for a permission event, else a notification (close_write). */
  record(filePath: string, exe: string | null, pid: number, auth: boolean): void {
    const b = this.current();
    b.total++;
    this.bump(b, 'files', filePath, pid, auth);
    if (exe) this.bump(b, 'executables', exe, pid, auth);
  }

  private bump(b: Bucket, kind: HotKind, key: string, pid: number, auth: boolean): void {
    const m = b.maps[kind];
    let c = m.get(key);
    if (!c) {
      if (m.size >= this.perBucket) {
        b.untracked[kind]++;
        return;
      }
      c = { auth: 0, notify: 0, pid };
      m.set(key, c);
    }
    if (auth) c.auth++;
    else c.notify++;
    if (pid !== c.pid && !c.pids) c.pids = new Set([c.pid]);
    if (c.pids && c.pids.size < PIDS_PER_PATH) c.pids.add(pid);
  }

  private current(): Bucket {
    const t = this.now();
    const start = t - (t % BUCKET_MS);
    let b = this.buckets[this.buckets.length - 1];
    if (!b || b.start !== start) {
      b = { start, total: 0, untracked: { files: 0, executables: 0 }, maps: { files: new Map(), executables: new Map() } };
      this.buckets.push(b);
      while (this.buckets.length > BUCKETS) this.buckets.shift();
    }
    return b;
  }

  /** The longest window a query can cover, in seconds. */
  static get maxSeconds(): number {
    return (BUCKET_MS * BUCKETS) / 1000;
  }

  report(kind: HotKind, seconds: number, top: number): HotReport {
    const end = this.now();
    const from = end - seconds * 1000;
    const merged = new Map<string, Count>();
    let total = 0;
    let untracked = 0;
    let first = end;
    for (const b of this.buckets) {
      if (b.start + BUCKET_MS <= from) continue;
      first = Math.min(first, b.start);
      total += b.total;
      untracked += b.untracked[kind];
      for (const [k, c] of b.maps[kind]) {
        const m = merged.get(k);
        if (!m) merged.set(k, { auth: c.auth, notify: c.notify, pid: c.pid, pids: new Set(c.pids ?? [c.pid]) });
        else {
          m.auth += c.auth;
          m.notify += c.notify;
          for (const p of pidsOf(c)) if (m.pids!.size < PIDS_PER_PATH) m.pids!.add(p);
        }
      }
    }
    const start = Math.max(first, from);
    const eventSource = [...merged]
      .map(([path, c]) => ({ path, authCount: c.auth, notifyCount: c.notify, pidCount: pidsOf(c).size }))
      .sort((a, b) => b.authCount + b.notifyCount - (a.authCount + a.notifyCount) || (a.path < b.path ? -1 : 1))
      .slice(0, top);
    return { kind, startTime: start * 1000, endTime: end * 1000, seconds: Math.max(0, (end - start) / 1000), totalEvent: total, untracked, eventSource };
  }

  clear(): void {
    this.buckets.length = 0;
  }
}
