// src/store/storage-health.ts — whether the daemon can still write its state directory (the
// database, the quarantine). Writers report a failure for lack of space (ENOSPC, EDQUOT,
// SQLITE_FULL: only those; any other error is not about space and is ignored here) and later
// successes. A periodic check (statfs of the state directory) raises a "low space" issue before
// writes fail and, while a failure stands and space looks back, makes a small probe write: it
// succeeding clears the failures (also when nothing else writes, and for quotas, which statfs
// does not show). Each condition is one health issue naming the directory, what failed and the
// error; it is logged when raised (with the error itself; repeats at most once a minute, with
// the count dropped) and when cleared.
// Owns: that state, its timer and the probe file. Must not: retry or refuse anything — scans,
// real-time protection and the API go on; each writer decides what a failure means for it.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';

/** What could not be written: the issue says "cannot write the <what>". */
export type StorageUse = 'quarantine' | 'database';

/** What writers see of this module. */
export interface StorageReporter {
  /** Records `e` when it is a lack of space (answers true), else does nothing (false). */
  noteFailure(what: StorageUse, where: string, e: unknown): boolean;
  /** A write of this kind succeeded: its failure, if any, is over. */
  noteSuccess(what: StorageUse): void;
}

export interface SpaceFigures {
  bsize: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

export interface StorageHealthOptions {
  stateDir: string;
  logger: Logger<'verbose'>;
  /** Below this many free bytes the state directory is reported as (nearly) full. */
  minFreeBytes?: number;
  intervalMs?: number;
  /** Size of the probe write made while a failure stands. */
  probeBytes?: number;
  statfs?: (dir: string) => Promise<SpaceFigures>;
  /** Root may use the blocks reserved for it (ext4's 5%): its free space is bfree, not bavail. */
  privileged?: boolean;
}

// SQLite's WAL alone may grow to ~4 MiB (1000 pages) before a checkpoint: below that, a
// commit can fail at any moment.
export const MIN_FREE_BYTES = 4 * 1024 * 1024;
export const CHECK_INTERVAL_MS = 30_000;
const LOG_INTERVAL_MS = 60_000;
const PROBE_FILE = '.wdav-space-probe';
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** The errno or SQLite code of `e` (or of an error it wraps). */
function codeOf(e: unknown): string | undefined {
  for (let cur = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && FULL_CODES.has(code)) return code;
  }
  return undefined;
}

/** True when `e` (or an error it wraps) says the storage is full: ENOSPC, EDQUOT or SQLITE_FULL. */
export function isStorageFull(e: unknown): boolean {
  return codeOf(e) !== undefined;
}

function describe(e: unknown, code: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.startsWith(code) ? msg : `${code}: ${msg}`;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.floor(bytes / 1024)} KiB`;
}

interface Failure {
  where: string;
  error: string;
  lastLog: number;
  dropped: number;
}

export class StorageHealth implements StorageReporter {
  private readonly failures = new Map<StorageUse, Failure>();
  private low: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private readonly minFree: number;
  private readonly statfs: (dir: string) => Promise<SpaceFigures>;

  constructor(private readonly o: StorageHealthOptions) {
    this.minFree = o.minFreeBytes ?? MIN_FREE_BYTES;
    this.statfs = o.statfs ?? ((dir) => fsp.statfs(dir));
  }

  noteFailure(what: StorageUse, where: string, e: unknown): boolean {
    const code = codeOf(e);
    if (!code) return false;
    const now = Date.now();
    const f = this.failures.get(what);
    const error = describe(e, code);
    if (!f) {
      this.failures.set(what, { where, error, lastLog: now, dropped: 0 });
      this.o.logger.error({ err: e, what, where, stateDir: this.o.stateDir }, `the state directory is full: cannot write the ${what} (${error})`);
      return true;
    }
    f.where = where;
    f.error = error;
    if (now - f.lastLog < LOG_INTERVAL_MS) {
      f.dropped++;
      return true;
    }
    this.o.logger.error({ err: e, what, where, stateDir: this.o.stateDir, dropped: f.dropped }, `the state directory is still full: cannot write the ${what} (${error})`);
    f.lastLog = now;
    f.dropped = 0;
    return true;
  }

  noteSuccess(what: StorageUse): void {
    const f = this.failures.get(what);
    if (!f) return;
    this.failures.delete(what);
    this.o.logger.info({ what, where: f.where, stateDir: this.o.stateDir, dropped: f.dropped }, `the ${what} is writable again`);
  }

  /** The health issues: one per failure that stands, and low space. */
  issues(): string[] {
    const out: string[] = [];
    for (const [what, f] of this.failures) {
      const then = what === 'quarantine' ? 'detected files stay where they are' : 'detections and scans may go unrecorded';
      out.push(`the state directory ${this.o.stateDir} is full: cannot write the ${what} in ${f.where} (${f.error}); ${then} until space returns`);
    }
    if (this.low) out.push(`the state directory ${this.o.stateDir} has ${this.low}: quarantine and records fail when it runs out`);
    return out;
  }

  /** One pass: statfs, then (space back and a failure standing) the probe write. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = null));
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    let st: SpaceFigures;
    try {
      st = await this.statfs(this.o.stateDir);
    } catch (e) {
      this.o.logger.warn({ err: e, stateDir: this.o.stateDir }, 'cannot measure the free space of the state directory');
      return;
    }
    const privileged = this.o.privileged ?? process.getuid?.() === 0;
    const free = Number(privileged ? st.bfree : st.bavail) * Number(st.bsize);
    // File systems without an inode count (btrfs) report files = 0.
    const low = Number(st.files) > 0 && Number(st.ffree) === 0 ? 'no free inodes' : free < this.minFree ? `${mib(free)} free (less than ${mib(this.minFree)})` : null;
    if (low && !this.low) this.o.logger.warn({ stateDir: this.o.stateDir, freeBytes: free, minFreeBytes: this.minFree }, `the state directory is nearly full: ${low}`);
    if (!low && this.low) this.o.logger.info({ stateDir: this.o.stateDir, freeBytes: free }, 'the state directory has free space again');
    this.low = low;
    if (!low && this.failures.size > 0 && (await this.probe())) {
      for (const what of [...this.failures.keys()]) this.noteSuccess(what);
    }
  }

  /** Writes, syncs and removes a small file in the state directory: can we write there again? */
  private async probe(): Promise<boolean> {
    const file = path.join(this.o.stateDir, PROBE_FILE);
    const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fs.constants;
    let h: fsp.FileHandle | null = null;
    try {
      h = await fsp.open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600);
      await h.write(Buffer.alloc(this.o.probeBytes ?? 64 * 1024));
      await h.sync();
      return true;
    } catch (e) {
      if (!isStorageFull(e)) this.o.logger.warn({ err: e, file }, 'the state directory probe write failed');
      return false;
    } finally {
      await h?.close().catch(() => undefined);
      await fsp.rm(file, { force: true }).catch(() => undefined);
    }
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.o.intervalMs ?? CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }
}
