// src/rtp/verdict-cache.ts — the user-space verdict cache of real-time protection: engine
// verdicts keyed by the file's identity and version (dev, inode, size, mtime ns, ctime ns) and
// the definitions generation they were computed on, bounded (LRU). It catches what the kernel
// ignore marks cannot: files on filesystems that get no marks, a verdict reached by the
// after-write scan before the first open, and detections (denied again without a rescan).
// Single flight: an open of a file whose scan is already running (e.g. the after-write scan)
// waits for that scan instead of starting another one.
// Only engine verdicts are kept, never decisions: policy (enforcement, allow lists, threat type
// settings) is applied fresh on every event. flush() drops everything and ignores verdicts of
// scans that started before it. Owns: the cache and in-flight table. Must not: scan or respond.
import type { ScanResult } from '../engine/types.js';
import { Lru } from './lru.js';

export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export type CachedVerdict =
  // scanTimeout: clean for every engine that finished; YARA stopped at its time limit.
  | { kind: 'clean'; scanTimeout?: true }
  | { kind: 'detected'; name: string; threatType: Extract<ScanResult, { kind: 'detected' }>['threatType']; engine: string; sha256?: string };

export interface VerdictCacheStats {
  entries: number;
  capacity: number;
  hits: number;
  misses: number;
  joined: number;
  evictions: number;
  flushes: number;
}

export function identityKey(f: FileIdentity, generation: number): string {
  return `${f.dev}:${f.ino}:${f.size}:${f.mtimeNs}:${f.ctimeNs}:${generation}`;
}

const CLEAN: CachedVerdict = Object.freeze({ kind: 'clean' });
const CLEAN_TIMED_OUT: CachedVerdict = Object.freeze({ kind: 'clean', scanTimeout: true });

/**
 * What of a scan result may be cached: clean and detected verdicts only. A clean verdict whose
 * YARA part timed out is cached too: rescanning the same file version on every open would cost
 * the full time limit each time and end the same way (the limit is per file, not per attempt);
 * a new version of the file, new definitions or a flush scan it again.
 */
export function cacheable(r: ScanResult): CachedVerdict | null {
  if (r.kind === 'clean') return r.scanTimeout ? CLEAN_TIMED_OUT : CLEAN;
  if (r.kind === 'detected') return { kind: 'detected', name: r.name, threatType: r.threatType, engine: r.engine, ...(r.sha256 ? { sha256: r.sha256 } : {}) };
  return null;
}

export class VerdictCache {
  private readonly lru: Lru<string, CachedVerdict>;
  private readonly inflight = new Map<string, Promise<ScanResult>>();
  private epoch = 0;
  private counts = { hits: 0, misses: 0, joined: 0, flushes: 0 };

  // Kernel ignore marks are the main clean cache; this one covers the rest (after-write → first
  // open, detections, filesystems without marks). About 330 bytes per entry.
  constructor(capacity = 16384) {
    this.lru = new Lru(capacity);
  }

  get(key: string): CachedVerdict | undefined {
    const v = this.lru.get(key);
    if (v) this.counts.hits++;
    else this.counts.misses++;
    return v;
  }

  /** A scan of exactly this file version already running, if any. */
  running(key: string): Promise<ScanResult> | undefined {
    const p = this.inflight.get(key);
    if (p) this.counts.joined++;
    return p;
  }

  /** Runs `scan` as the one scan of `key`, caching a clean or detected verdict unless flushed meanwhile. */
  track(key: string, scan: () => Promise<ScanResult>): Promise<ScanResult> {
    const epoch = this.epoch;
    const p = scan().then((r) => {
      const v = cacheable(r);
      // The key carries the generation the caller expected; a scan that ran on another one is not cached under it.
      if (v && epoch === this.epoch && key.endsWith(`:${r.generation}`)) this.lru.set(key, v);
      return r;
    });
    this.inflight.set(key, p);
    const done = () => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    };
    p.then(done, done);
    return p;
  }

  flush(): void {
    this.epoch++;
    this.counts.flushes++;
    this.lru.clear();
    this.inflight.clear();
  }

  stats(): VerdictCacheStats {
    return { entries: this.lru.size, capacity: this.lru.max, ...this.counts, evictions: this.lru.evictions };
  }
}
