// src/rtp/fanotify/backend.ts — the blocking real-time backend: one fanotify group while
// enforcement is real_time (closed when it is not: closing makes the kernel allow whatever is
// pending, and no mark means no cost). Marks the monitored mounts (src/rtp/mounts.ts) and
// re-marks them when /proc/self/mountinfo changes; with RTP paths the native scope answers
// the rest of each marked mount at once. Flushes kernel ignore marks with the verdict cache.
// Logs native counters that signal trouble (deadline answers, overflows, full tables)
// rate-limited, as differences, and a shortage of file descriptors as a health issue
// (fd-shortage.ts). Owns: the group, its marks, the after-write scheduler.
// Must not: decide verdicts (events.ts + pipeline.ts) or read settings other than its own.
import os from 'node:os';
import { errorMessage } from '../../shared/errors.js';
import type { NativeBinding } from '../../shared/native.js';
import { AfterWriteScheduler } from '../after-write.js';
import { readMountInfo } from '../../shared/mountinfo.js';
import { selectMounts, type MonitoredMount, type MountSelection } from '../mounts.js';
import type { RtpPipeline } from '../pipeline.js';
import type { RtpBackend, RtpBackendStatus } from '../types.js';
import type { FileIdentity } from '../verdict-cache.js';
import { scanWritten } from '../write-scan.js';
import { FanotifyEventHandler } from './events.js';
import { FdShortage } from './fd-shortage.js';
import { openFanotifyGroup, type FanotifyGroup, type FanotifyStats } from './native.js';

export interface FanotifyBackendOptions {
  pipeline: RtpPipeline;
  /** RTP paths (--rtp-path); empty: every monitored mount. */
  paths: string[];
  /** Real-time work the scan queue admits; the native table holds at least this much. */
  queueCapacity: number;
  binding?: NativeBinding;
  mountInfoFile?: string;
}

/** close_write events queued to JS at most, each holding its event fd. */
const CLOSE_WRITE_CAPACITY = 1024;

/** Permission events waiting for a verdict at most: the scan queue's real-time work and more. */
export function pendingCapacityFor(queueCapacity: number): number {
  return Math.min(1_000_000, queueCapacity + 1024);
}

/**
 * File descriptors a full group holds: every pending permission event keeps its event fd and
 * JS's dup open, every queued close_write its event fd. The control socket's connection caps
 * leave this much of the open-file limit free (src/api/fd-budget.ts).
 */
export function fanotifyFdReserve(queueCapacity: number): number {
  return 2 * pendingCapacityFor(queueCapacity) + CLOSE_WRITE_CAPACITY;
}

/**
 * Threads of the group's native verdicts (clean files allowed without JavaScript; see
 * native/core/fanotify_native_verdict.cc). WDAV_RTP_NATIVE_VERDICTS=0 turns them off, so a
 * benchmark can measure the JavaScript path on the same build; =N (1–16) sets their number.
 */
export function nativeVerdictThreads(): number {
  const n = Number(process.env.WDAV_RTP_NATIVE_VERDICTS);
  if (Number.isInteger(n) && n >= 1 && n <= 16) return n;
  // They wait on the scanner process more than they compute: as many as its real-time threads
  // (scannerThreads), at least 2 — the first takes only opens, never after-write scans.
  return Math.max(2, Math.min(8, os.availableParallelism()));
}

const WATCHED: (keyof FanotifyStats['answeredNatively'] | 'overflow' | 'dropped')[] = ['timeout', 'tableFull', 'tsfnFull', 'error', 'overflow', 'dropped'];
const LOG_EVERY_MS = 10_000;

/** Opens and closes a group: can this process use fanotify permission events at all? */
export function probeFanotify(binding?: NativeBinding): { ok: true } | { ok: false; reason: string } {
  try {
    const g = binding ? openFanotifyGroup({ onEvents() {} }, binding) : openFanotifyGroup({ onEvents() {} });
    g.close();
    return { ok: true };
  } catch (e) {
    const d = (e as { details?: { errnoName?: string } }).details;
    return { ok: false, reason: `${errorMessage(e)}${d?.errnoName ? ` (${d.errnoName})` : ''}` };
  }
}

export class FanotifyBackend implements RtpBackend {
  readonly subsystem = 'fanotify' as const;
  private group: FanotifyGroup | null = null;
  private afterWrite: AfterWriteScheduler | null = null;
  private readonly handler: FanotifyEventHandler;
  private readonly marked = new Map<number, MonitoredMount>();
  private selection: MountSelection = { monitored: [], skipped: [] };
  private markErrors: string[] = [];
  private openError: string | null = null;
  private lastCounts = new Map<string, number>();
  private logTimer: NodeJS.Timeout | null = null;
  private readonly p: RtpPipeline;
  private readonly fdShortage: FdShortage;

  constructor(private readonly o: FanotifyBackendOptions) {
    this.p = o.pipeline;
    this.fdShortage = new FdShortage(() => this.p.settings.wdavdaemon.rtpDefaultResponse);
    this.handler = new FanotifyEventHandler(this.p, () => this.afterWrite);
  }

  private get log() {
    return this.p.deps.logger;
  }

  async setEnabled(on: boolean): Promise<void> {
    if (on && !this.group) this.open();
    else if (!on && this.group) this.close('real-time protection disabled');
  }

  private open(): void {
    const s = this.p.settings.wdavdaemon;
    let group: FanotifyGroup;
    const opts = {
      timeoutMs: s.rtpTimeoutMs,
      defaultResponse: s.rtpDefaultResponse,
      pendingCapacity: pendingCapacityFor(this.o.queueCapacity),
      closeWriteCapacity: CLOSE_WRITE_CAPACITY,
      jsQueueBatches: 8192,
      // Nothing to scan in an empty file: the reader allows it (with an ignore mark) without a
      // trip through JS — a file being created is empty at its O_CREAT open.
      answerEmpty: true,
      scope: this.o.paths,
      onEvents: (events: Parameters<FanotifyEventHandler['onEvents']>[1]) => this.handler.onEvents(group, events),
      onMountsChanged: () => this.remark(),
    };
    try {
      group = this.o.binding ? openFanotifyGroup(opts, this.o.binding) : openFanotifyGroup(opts);
    } catch (e) {
      this.openError = `cannot open the fanotify group: ${errorMessage(e)}`;
      this.log.error({ err: errorMessage(e) }, 'real-time protection could not start its fanotify group');
      return;
    }
    this.openError = null;
    this.group = group;
    this.nativeVerdicts(group);
    const marker = { epoch: () => group.epoch, mark: (fd: number, file: FileIdentity, epoch: number) => this.markClean(group, fd, file, epoch) };
    this.afterWrite = new AfterWriteScheduler((job) => scanWritten(this.p, job, marker), 1024, 2, (job, e) =>
      this.log.warn({ path: job.path.toString('utf8'), err: errorMessage(e) }, 'after-write scan failed'),
    );
    // A new group has no ignore marks; cached verdicts stay valid (same definitions).
    this.marked.clear();
    this.remark();
    this.lastCounts.clear();
    this.fdShortage.reset();
    this.logTimer = setInterval(() => this.logCounters(), LOG_EVERY_MS);
    this.logTimer.unref();
    const info = group.info();
    this.log.info({ mounts: [...this.marked.values()].map((m) => m.mountPoint), scope: this.o.paths, ignoreMode: info.ignoreMode, noatime: info.noatime, timeoutMs: s.rtpTimeoutMs, defaultResponse: s.rtpDefaultResponse }, 'real-time protection active (fanotify)');
  }

  private close(reason: string): void {
    const g = this.group;
    if (!g) return;
    // Close first: the kernel allows every pending event at once.
    this.logCounters();
    g.close();
    this.group = null;
    this.marked.clear();
    this.afterWrite?.stop();
    this.afterWrite = null;
    if (this.logTimer) clearInterval(this.logTimer);
    this.logTimer = null;
    this.log.info({ reason }, 'real-time protection stopped (fanotify group closed)');
  }

  /**
   * A clean after-write verdict as a kernel ignore mark: the first open after the write causes
   * no event. Counted natively (ignoreMarks.afterWrite; refusals as skipped*).
   */
  private markClean(group: FanotifyGroup, fd: number, file: FileIdentity, epoch: number): void {
    if (!group.closed) group.markClean(fd, file, epoch);
  }

  /** Marks mounts that appeared or became monitored, unmarks those that went or stopped being. */
  remark(): void {
    const g = this.group;
    if (!g) return;
    const s = this.p.settings;
    this.selection = selectMounts(readMountInfo(this.o.mountInfoFile), s, this.o.paths.length ? this.o.paths : null);
    const want = new Map(this.selection.monitored.map((m) => [m.mountId, m]));
    const errors: string[] = [];
    for (const [id, m] of this.marked) {
      if (want.has(id)) continue;
      this.marked.delete(id);
      try {
        g.removeMark(m.mountPoint);
      } catch {
        // The mount is gone, and its mark with it.
      }
    }
    for (const [id, m] of want) {
      if (this.marked.has(id)) continue;
      try {
        g.addMark(m.mountPoint);
        this.marked.set(id, m);
      } catch (e) {
        errors.push(`${m.mountPoint}: ${errorMessage(e)}`);
      }
    }
    if (errors.length) this.log.warn({ errors }, 'some mounts could not be marked for real-time protection');
    this.markErrors = errors;
  }

  flush(reason: string): void {
    this.p.flush();
    const g = this.group;
    if (!g) return;
    // The new definitions' plan first: a native verdict on the old one finishing after the
    // flush carries the old epoch and gets no ignore mark.
    this.nativeVerdicts(g);
    try {
      const epoch = g.flushIgnoreMarks();
      this.log.verbose({ reason, epoch }, 'kernel clean cache flushed');
    } catch (e) {
      this.log.error({ reason, err: errorMessage(e) }, 'could not flush the kernel clean cache');
    }
  }

  /** Native verdicts on the current definitions (YARA included when the scanner process runs it), else off. */
  private nativeVerdicts(g: FanotifyGroup): void {
    const off = process.env.WDAV_RTP_NATIVE_VERDICTS === '0';
    try {
      const plan = off ? null : (this.p.deps.engine()?.nativePlan() ?? null);
      g.setNativeVerdicts(plan, this.p.settings.wdavdaemon.rtpMaxFileSize, nativeVerdictThreads(), pendingCapacityFor(this.o.queueCapacity));
      this.log.verbose({ nativeVerdicts: plan !== null, reason: off ? 'WDAV_RTP_NATIVE_VERDICTS=0' : plan ? 'the scanner process reads the files, clean ones are allowed natively' : 'no native plan for these definitions' }, 'real-time native verdicts');
    } catch (e) {
      this.log.error({ err: errorMessage(e) }, 'could not set the native real-time verdicts; every event goes to JavaScript');
    }
  }

  reconfigure(): void {
    const g = this.group;
    if (!g) return;
    const s = this.p.settings.wdavdaemon;
    g.setOptions({ timeoutMs: s.rtpTimeoutMs, defaultResponse: s.rtpDefaultResponse });
    this.remark();
  }

  private logCounters(): void {
    const g = this.group;
    if (!g) return;
    const st = g.stats();
    const now: Record<string, number> = { ...st.answeredNatively, overflow: st.events.overflow, dropped: st.closeWrite.dropped };
    const grew: Record<string, number> = {};
    for (const k of WATCHED) {
      const d = (now[k] ?? 0) - (this.lastCounts.get(k) ?? 0);
      if (d > 0) grew[k] = d;
      this.lastCounts.set(k, now[k] ?? 0);
    }
    if (Object.keys(grew).length) this.log.warn({ ...grew, intervalMs: LOG_EVERY_MS }, 'real-time protection answered events without a verdict (deadline, full queue) or lost notifications');
    const short = this.fdShortage.check(st);
    if (short) this.log.error({ err: short, intervalMs: LOG_EVERY_MS }, 'real-time protection is short of file descriptors');
  }

  status(): RtpBackendStatus {
    const g = this.group;
    const issues = [...(this.openError ? [this.openError] : []), ...this.markErrors.map((e) => `real-time protection could not mark ${e}`)];
    if (g && this.marked.size === 0) issues.push('real-time protection monitors no mount (none matched the RTP paths and filesystem policy)');
    const native = g ? g.stats() : null;
    const short = native ? this.fdShortage.issue(native) : null;
    if (short) issues.push(short);
    return {
      active: g !== null,
      issues,
      features: {
        real_time_protection_monitored_mounts: [...this.marked.values()].map((m) => `${m.mountPoint} (${m.fsType})`),
        real_time_protection_skipped_mounts: this.selection.skipped.length,
        real_time_protection_paths: this.o.paths,
        real_time_protection_answers: { ...this.handler.answers },
        real_time_protection_native: native ? { ...native, info: g!.info() } : null,
        real_time_protection_after_write: this.afterWrite?.stats() ?? null,
      } as RtpBackendStatus['features'],
    };
  }

  nativeStats(): FanotifyStats | null {
    return this.group ? this.group.stats() : null;
  }

  async stop(): Promise<void> {
    const aw = this.afterWrite;
    this.close('shutdown');
    await aw?.idle();
  }
}
