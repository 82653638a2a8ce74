// src/scan/job.ts — one on-demand scan: takes batches of opened files from the walker, scans
// them through the shared bounded queue (on-demand lane, below real-time work) with at most
// maximumOnDemandScanThreads files at once, and keeps the counts. Admission is the shared
// Limiter's alone (limiter.ts: batch slots and batches still in their JS part, across scans).
// Files travel in groups (one queue task, one slot, several files in a row). With an engine
// that has scanBatch (the real one), a group is ONE native call that reads and scans its files
// on one of the engine's on-demand lanes (maximumOnDemandScanThreads threads, each holding the
// batch it scans and the next: the manager sizes the limiter to match, docs/scans.md); engines
// without it (test wrappers) get one engine.scan per file. One file's failure never fails the
// scan: engine errors and exceptions are counted per code. Cancelling (AbortSignal) stops
// admitting files; running engine calls see the same signal (the native pass checks it between
// chunks; a running YARA scan is stopped at once). Each file's YARA part has the time limit
// wdavdaemon.scanTimeLimitMs: a file that reaches it counts as scanned, is counted in
// scanTimeouts and listed in the events as scan_timeout.
// Ownership: every fd taken from the walker is closed exactly once: by scanBatch (which owns a
// group's fds from the call on), else here after its scan, or unscanned when the scan is
// cancelled. Must not: touch the store or the API (the manager does).
import { randomUUID } from 'node:crypto';
import type { Engine, ScanContext, ScanResult } from '../engine/types.js';
import { errorMessage } from '../shared/errors.js';
import type { ScanQueue } from './queue.js';
import type { Limiter } from './limiter.js';
import type { ScanType } from './targets.js';
import type { ScanDetails, ScanProgress, ScanState, ScanSummary, ScanThreat, ScanUnscanned } from './types.js';
import type { UnscannedMember } from '../engine/archives/types.js';
import { closeQuietly } from '../shared/fd.js';
import type { FileBatch, ScanWalker } from './walker.js';

/** A group ends at this many files or bytes, whichever comes first (per-file engines). */
export const GROUP_FILES = 16;
export const GROUP_BYTES = 1 << 20;
/**
 * The same for native batches: large enough that the JS round trip between two batches (tens of
 * microseconds) is small next to the batch, small enough that two threads finish together.
 */
export const BATCH_GROUP_FILES = 128;
export const BATCH_GROUP_BYTES = 8 << 20;
const MAX_EVENTS = 200;

export interface Detected {
  threat: ScanThreat;
  rawPath?: Buffer;
}

export interface JobOptions {
  type: ScanType;
  paths: string[];
  ignoreExclusions: boolean;
  requestedBy: number | null;
  engine: Engine;
  queue: ScanQueue;
  limiter: Limiter;
  walker: ScanWalker;
  scanArchives: boolean;
  maxFileSize: number;
  computeHash: boolean;
  /** YARA work allowed per file (ms): wdavdaemon.scanTimeLimitMs. */
  timeLimitMs?: number;
  mountsSkipped?: string[];
  /** Called for each detection (records it, hands it to the threat service); may set threat.action. */
  onDetection(job: ScanJob, d: Detected): Promise<void>;
  /** Called for each file whose YARA scan reached the time limit (the scan_timeout event). */
  onScanTimeout?(job: ScanJob, path: string, limitMs: number): void;
}

interface Group {
  b: FileBatch;
  from: number;
  to: number;
  started: boolean;
  /** A batch whose JS part (verdicts, archive walks, detections) runs after its native pass. */
  tail: boolean;
}

export class ScanJob {
  readonly id = randomUUID();
  readonly startedAt = new Date();
  state: ScanState = 'running';
  message: string | null = null;
  endedAt: Date | null = null;
  filesScanned = 0;
  bytesScanned = 0;
  threatsDetected = 0;
  skipped = 0;
  errors = 0;
  /** Files allowed on the other engines' verdict because YARA reached the time limit. */
  scanTimeouts = 0;
  /** Archive members not scanned, and the first MAX_EVENTS of them with their archive. */
  unscanned = 0;
  readonly unscannedList: ScanUnscanned[] = [];
  readonly skippedBy: Record<string, number> = {};
  readonly errorsBy: Record<string, number> = {};
  readonly events: { path: string; code: string }[] = [];
  readonly threats: ScanThreat[] = [];
  private readonly abort = new AbortController();
  private readonly ctx: ScanContext;
  private inflight = 0;
  private idleWaiter: (() => void) | null = null;
  private cur: FileBatch | null = null;
  private curIdx = 0;
  private cancelReason: string | null = null;
  /**
   * Mirrors abort.signal.aborted (only cancel() aborts it). The hot paths read this instead:
   * every AbortSignal has a map of its own, so reading `.aborted` of each new scan's signal
   * deoptimizes the optimized dispatch and record code once per scan (a recompile of each).
   */
  private stopped = false;

  constructor(private readonly o: JobOptions) {
    this.ctx = {
      origin: 'on_demand', scanArchives: o.scanArchives, maxFileSize: o.maxFileSize, computeHash: o.computeHash, signal: this.abort.signal,
      ...(o.timeLimitMs !== undefined ? { timeLimitMs: o.timeLimitMs } : {}),
    };
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  cancel(reason = 'cancelled by request'): void {
    if (this.state !== 'running' || this.stopped) return;
    this.stopped = true;
    this.cancelReason = reason;
    this.abort.abort(new Error(reason));
  }

  /** Runs the scan to its end; never rejects (a failure becomes state 'failed'). */
  async run(): Promise<ScanSummary> {
    const signal = this.abort.signal;
    try {
      for (;;) {
        if (this.stopped) break;
        const b = await this.o.walker.next();
        if (!b) break;
        await this.dispatch(b);
      }
      await this.idle();
      this.state = signal.aborted ? 'cancelled' : 'succeeded';
      if (signal.aborted) this.message = this.cancelReason;
    } catch (e) {
      await this.idle();
      this.state = signal.aborted ? 'cancelled' : 'failed';
      this.message = signal.aborted ? this.cancelReason : errorMessage(e);
    } finally {
      await this.o.walker.close();
      this.endedAt = new Date();
      this.cur = null;
    }
    return this.summary();
  }

  private async dispatch(b: FileBatch): Promise<void> {
    const signal = this.abort.signal;
    const n = b.length;
    const [maxFiles, maxBytes] = this.o.engine.scanBatch ? [BATCH_GROUP_FILES, BATCH_GROUP_BYTES] : [GROUP_FILES, GROUP_BYTES];
    let i = 0;
    while (i < n) {
      if (this.stopped) return b.closeFrom(i);
      let j = i;
      let bytes = 0;
      while (j < n && j - i < maxFiles && bytes < maxBytes) bytes += b.sizes[j++]!;
      // Batches whose JS part is still running are bounded too (their records, detections).
      for (let room = this.o.limiter.tailRoom(); room; room = this.o.limiter.tailRoom()) await room;
      if (!this.o.limiter.tryAcquire()) {
        try {
          await this.o.limiter.acquire(signal);
        } catch {
          return b.closeFrom(i);
        }
      }
      const g: Group = { b, from: i, to: j, started: false, tail: false };
      this.inflight++;
      this.o.queue.add(() => this.scanGroup(g), signal).then(
        () => this.done(g),
        () => this.done(g),
      );
      i = j;
    }
  }

  /**
   * The queue task ended. A batch's slot is released when its read pass is over (scanGroup);
   * the group may still have a tail.
   */
  private done(g: Group): void {
    // Not started: the queue refused it (cancelled while waiting for room); its files are ours.
    if (!g.started) for (let k = g.from; k < g.to; k++) closeQuietly(g.b.fds[k]!);
    if (!g.tail) {
      this.o.limiter.release();
      this.settle();
    }
  }

  private settle(): void {
    if (--this.inflight === 0 && this.idleWaiter) {
      const w = this.idleWaiter;
      this.idleWaiter = null;
      w();
    }
  }

  private idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiter = resolve));
  }

  /**
   * The queue task of a group. For a batch engine it ends as soon as the batch is on a scanning
   * lane (the engine's on-demand threads: the queue has nothing more to order), or else when
   * the native read pass is over; the slot is freed when the read pass is over, so the next
   * batch starts on that thread while this one's JS part (verdicts, archive walks, detections
   * — main-thread work) finishes outside the queue, as a bounded tail.
   */
  private scanGroup(g: Group): Promise<void> {
    g.started = true;
    if (!this.o.engine.scanBatch) return this.scanFiles(g);
    return new Promise<void>((taskDone) => {
      g.tail = true;
      this.o.limiter.enterTail();
      // Called by the engine when the read pass is over, and again when the batch ends.
      let slot = true;
      const readDone = (): void => {
        taskDone();
        if (slot) this.o.limiter.release();
        slot = false;
      };
      void this.scanBatch(g, readDone, taskDone)
        .catch((e: unknown) => this.failOn(g.b.path(g.from), e))
        .finally(() => {
          readDone();
          this.o.limiter.leaveTail();
          this.settle();
        });
    });
  }

  private async scanFiles(g: Group): Promise<void> {
    const { b } = g;
    const max = this.o.maxFileSize;
    for (let k = g.from; k < g.to; k++) {
      const fd = b.fds[k]!;
      try {
        if (this.stopped) continue;
        if (max > 0 && b.sizes[k]! > max) {
          this.skip('too_large');
          continue;
        }
        this.cur = b;
        this.curIdx = k;
        const r = await this.o.engine.scan({ fd, path: b.path(k) }, this.ctx);
        await this.record(r, b, k);
      } catch (e) {
        if (this.stopped) continue;
        this.failOn(b.path(k), e);
      } finally {
        closeQuietly(fd);
      }
    }
  }

  private async scanBatch(g: Group, readDone: () => void, posted: () => void): Promise<void> {
    const { b, from, to } = g;
    if (this.stopped) {
      for (let k = from; k < to; k++) closeQuietly(b.fds[k]!);
      return;
    }
    this.cur = b;
    this.curIdx = from;
    // From this call on the engine owns the fds (it closes every one, and never rejects).
    const out = await this.o.engine.scanBatch!({ fds: b.fds.subarray(from, to), path: (i) => b.path(from + i) }, this.ctx, readDone, posted);
    this.filesScanned += out.clean;
    this.bytesScanned += out.cleanBytes;
    for (const { index, result } of out.others) {
      try {
        await this.record(result, b, from + index);
      } catch (e) {
        if (!this.stopped) this.failOn(b.path(from + index), e);
      }
    }
  }

  /** An archive read to its end with members it could not look into: counted and listed. */
  private notScanned(path: string, members: UnscannedMember[], count: number): void {
    this.unscanned += count;
    for (const m of members) if (this.unscannedList.length < MAX_EVENTS) this.unscannedList.push({ path, ...m });
  }

  private skip(reason: string): void {
    this.skipped++;
    this.skippedBy[reason] = (this.skippedBy[reason] ?? 0) + 1;
  }

  /** An exception thrown while scanning or recording one file: counted under its code. */
  private failOn(path: string, e: unknown): void {
    this.fail(path, (e as { code?: string }).code ?? 'WDAV_ERR_INTERNAL', errorMessage(e));
  }

  private fail(path: string, code: string, message: string): void {
    this.errors++;
    this.errorsBy[code] = (this.errorsBy[code] ?? 0) + 1;
    if (this.events.length < MAX_EVENTS) this.events.push({ path, code: `${code}: ${message}` });
  }

  private timedOut(path: string, limitMs: number): void {
    this.scanTimeouts++;
    if (this.events.length < MAX_EVENTS) this.events.push({ path, code: `scan_timeout: YARA rules did not finish within ${limitMs} ms` });
    this.o.onScanTimeout?.(this, path, limitMs);
  }

  private async record(r: ScanResult, b: FileBatch, k: number): Promise<void> {
    switch (r.kind) {
      case 'clean':
        this.filesScanned++;
        this.bytesScanned += r.bytes;
        if (r.scanTimeout) this.timedOut(b.path(k), r.scanTimeout.limitMs);
        if (r.unscannedCount) this.notScanned(b.path(k), r.unscanned ?? [], r.unscannedCount);
        return;
      case 'skipped':
        // The engine stops on the scan's own signal: not a skip worth reporting.
        if (r.reason !== 'cancelled' || !this.stopped) this.skip(r.reason);
        return;
      case 'error':
        if (!this.stopped) this.fail(b.path(k), r.code, r.message);
        return;
      case 'detected': {
        this.filesScanned++;
        this.bytesScanned += r.bytes;
        this.threatsDetected++;
        const threat: ScanThreat = {
          name: r.name,
          threatType: r.threatType,
          path: b.path(k),
          ...(r.memberPath !== undefined ? { memberPath: r.memberPath } : {}),
          engine: r.engine,
          ...(r.sha256 !== undefined ? { sha256: r.sha256 } : {}),
          size: b.sizes[k]!,
          detectedAt: new Date().toISOString(),
        };
        this.threats.push(threat);
        const raw = b.raw(k);
        await this.o.onDetection(this, raw ? { threat, rawPath: raw } : { threat });
        return;
      }
    }
  }

  summary(): ScanSummary {
    const w = this.o.walker;
    const end = this.endedAt ?? new Date();
    const details: ScanDetails = {
      walk: { ...w.counts },
      skippedBy: { ...this.skippedBy },
      errorsBy: { ...this.errorsBy },
      scanTimeouts: this.scanTimeouts,
      events: [...w.events, ...this.events].slice(0, MAX_EVENTS),
      ...(this.o.mountsSkipped?.length ? { mountsSkipped: this.o.mountsSkipped } : {}),
      ...(this.unscannedList.length ? { unscanned: [...this.unscannedList] } : {}),
    };
    return {
      id: this.id,
      type: this.o.type,
      state: this.state,
      paths: this.o.paths,
      ignoreExclusions: this.o.ignoreExclusions,
      requestedBy: this.o.requestedBy,
      startedAt: this.startedAt.toISOString(),
      endedAt: this.endedAt ? this.endedAt.toISOString() : null,
      durationMs: end.getTime() - this.startedAt.getTime(),
      filesScanned: this.filesScanned,
      bytesScanned: this.bytesScanned,
      threatsDetected: this.threatsDetected,
      // Excluded files and files that vanished before they could be opened are skipped, not errors.
      skipped: this.skipped + w.counts.excluded + w.counts.vanished,
      errors: this.errors + w.counts.denied + w.counts.errors,
      scanTimeouts: this.scanTimeouts,
      unscanned: this.unscanned,
      details,
      message: this.message,
    };
  }

  progress(): ScanProgress {
    return { ...this.summary(), filesFound: this.o.walker.counts.files, currentPath: this.cur ? this.cur.path(this.curIdx) : null };
  }
}
