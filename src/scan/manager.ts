// src/scan/manager.ts — on-demand scans inside the daemon: starts them (quick, full, custom),
// keeps the running ones, records them in the store (history pruned by scanHistoryMaximumItems
// and scanResultsRetentionDays), hands detections to the threat service, and publishes events
// (started, progress every PROGRESS_MS, threat, end) to followers (the API streams them).
// Several scans may run at once; together they use the engine's maximumOnDemandScanThreads
// scanning threads (setScanThreads), and the limiter admits as many batches as those hold.
// Owns: the running set, followers, history writes. Must not: walk or scan (walker.ts, job.ts).
import type { ConfigService } from '../config/service.js';
import type { Engine } from '../engine/types.js';
import type { Logger } from '../shared/logger.js';
import type { NativeBinding } from '../shared/native.js';
import { WdavError, errorMessage } from '../shared/errors.js';
import type { ScansStore } from '../store/scans.js';
import type { DetectionEvent, ThreatHandler } from '../threats/types.js';
import { ScanJob, type Detected } from './job.js';
import { Limiter } from './limiter.js';
import { readMountInfo, skippedMounts, type MountEntry } from './mounts.js';
import type { ScanQueue } from './queue.js';
import { scanTarget, type ScanType } from './targets.js';
import type { ScanEvent, ScanProgress, ScanSummary, ScanThreat } from './types.js';
import { ScanWalker } from './walker.js';
import { scanBatchBinding } from '../engine/batch-native.js';
import type { LaneStats } from '../engine/batch.js';
import type { ThreatEvents } from '../threats/events.js';
import { emitScanTimeout } from './timeout-event.js';

export const PROGRESS_MS = 250;
/** Followers of one scan at most (each is an open API stream). */
export const MAX_FOLLOWERS = 64;

export interface ScanManagerDeps {
  native: NativeBinding;
  queue: ScanQueue;
  config: ConfigService;
  store: ScansStore;
  logger: Logger<'verbose'>;
  engine(): Engine | undefined;
  threats(): ThreatHandler | undefined;
  mounts?(): MountEntry[];
  /** Where scan_timeout records go (the threat events' logger). */
  events?: ThreatEvents;
}

export interface StartRequest {
  type: ScanType;
  paths?: string[];
  ignoreExclusions?: boolean;
  uid: number | null;
}

type Follower = (ev: ScanEvent) => void;

export class ScanManager {
  private readonly running = new Map<string, { job: ScanJob; done: Promise<void> }>();
  private readonly followers = new Map<string, Set<Follower>>();
  readonly limiter: Limiter;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(private readonly d: ScanManagerDeps) {
    this.limiter = new Limiter(d.config.settings.maximumOnDemandScanThreads);
  }

  /** Applies changed settings (the stage subscribes to config 'change'). */
  refresh(): void {
    this.applyThreads(this.d.engine());
    this.prune();
  }

  /**
   * maximumOnDemandScanThreads: the engine's on-demand lanes (when it has them), and the slots
   * of the limiter: one batch per thread, or LANE_DEPTH when each lane holds the next batch too.
   */
  private applyThreads(engine: Engine | undefined): number {
    const n = this.d.config.settings.maximumOnDemandScanThreads;
    const depth = engine?.setScanThreads?.(n) ?? 1;
    this.limiter.setLimit(n * depth);
    return n;
  }

  prune(): number {
    const s = this.d.config.settings;
    return this.d.store.prune(s.scanHistoryMaximumItems, s.scanResultsRetentionDays);
  }

  start(req: StartRequest): ScanJob {
    if (this.stopping) throw new WdavError('WDAV_ERR_SHUTTING_DOWN');
    const engine = this.d.engine();
    if (!engine) throw new WdavError('WDAV_ERR_UNAVAILABLE', 'The scan engine is not ready (definitions are not loaded yet)');
    const target = scanTarget(req.type, req.paths ?? []);
    const s = this.d.config.settings;
    const skip = skippedMounts((this.d.mounts ?? readMountInfo)(), target.localOnly, target.roots);
    const ignore = req.ignoreExclusions === true;
    const threads = this.applyThreads(engine);
    const walker = new ScanWalker(this.d.native, {
      roots: target.roots,
      exclusions: ignore ? null : this.d.config.exclusions().map((e) => e.exclusion),
      skipDevices: skip.devices,
    });
    const job = new ScanJob({
      type: req.type,
      paths: target.roots,
      ignoreExclusions: ignore,
      requestedBy: req.uid,
      engine,
      queue: this.d.queue,
      limiter: this.limiter,
      walker,
      scanArchives: s.scanArchives,
      maxFileSize: s.wdavdaemon.onDemandMaxFileSize,
      computeHash: s.enableFileHashComputation,
      timeLimitMs: s.wdavdaemon.scanTimeLimitMs,
      mountsSkipped: skip.mountPoints,
      onDetection: (j, det) => this.onDetection(j, det),
      onScanTimeout: (j, path, limitMs) => {
        if (this.d.events) emitScanTimeout(this.d.events, { path, source: 'on_demand', limitMs, scanId: j.id, user: req.uid });
      },
    });
    try {
      this.d.store.insert(job.summary());
    } catch (e) {
      // A full disk (SQLITE_FULL) must not stop a scan: it runs and reports; only its history is lost.
      this.d.logger.error({ scanId: job.id, err: e }, 'cannot record the scan; it runs unrecorded');
    }
    this.d.logger.info({ scanId: job.id, type: req.type, paths: target.roots, ignoreExclusions: ignore, uid: req.uid, threads }, 'on-demand scan started');
    const done = job.run().then(
      (summary) => this.finish(job, summary),
      (e) => this.d.logger.error({ scanId: job.id, err: errorMessage(e) }, 'on-demand scan ended unexpectedly'),
    );
    this.running.set(job.id, { job, done });
    this.emit(job.id, { event: 'started', scan: job.progress() });
    this.timer ??= setInterval(() => this.tick(), PROGRESS_MS);
    return job;
  }

  private async onDetection(job: ScanJob, det: Detected): Promise<void> {
    const t = det.threat;
    const handler = this.d.threats();
    if (handler) {
      const ev: DetectionEvent = {
        name: t.name,
        threatType: t.threatType,
        path: t.path,
        ...(det.rawPath ? { rawPath: det.rawPath } : {}),
        ...(t.memberPath !== undefined ? { memberPath: t.memberPath } : {}),
        ...(t.sha256 !== undefined ? { sha256: t.sha256 } : {}),
        ...(t.size !== undefined ? { size: t.size } : {}),
        source: 'on_demand',
        scanId: job.id,
        blocked: false,
        engine: t.engine,
      };
      try {
        const out = await handler.handle(ev);
        t.action = out.action;
        t.threatId = out.threatId;
      } catch (e) {
        this.d.logger.error({ scanId: job.id, path: t.path, threat: t.name, err: errorMessage(e) }, 'threat service failed to handle an on-demand detection; recorded in the scan only');
      }
    }
    try {
      this.d.store.addThreat(job.id, t, det.rawPath);
    } catch (e) {
      this.d.logger.error({ scanId: job.id, err: errorMessage(e) }, 'cannot record a scan threat');
    }
    this.d.logger.warn({ scanId: job.id, threat: t.name, threatType: t.threatType, path: t.path, memberPath: t.memberPath, action: t.action ?? 'reported' }, 'threat detected by on-demand scan');
    this.emit(job.id, { event: 'threat', scanId: job.id, threat: t });
  }

  private finish(job: ScanJob, summary: ScanSummary): void {
    try {
      this.d.store.finish(summary);
      this.prune();
    } catch (e) {
      this.d.logger.error({ scanId: job.id, err: errorMessage(e) }, 'cannot record the end of a scan');
    }
    this.running.delete(job.id);
    const level = summary.state === 'failed' ? 'error' : 'info';
    this.d.logger[level](
      {
        scanId: job.id,
        type: summary.type,
        state: summary.state,
        ms: summary.durationMs,
        files: summary.filesScanned,
        bytes: summary.bytesScanned,
        threats: summary.threatsDetected,
        skipped: summary.skipped,
        errors: summary.errors,
        unscanned: summary.unscanned,
        walk: summary.details.walk,
        message: summary.message,
      },
      'on-demand scan finished',
    );
    this.emit(job.id, { event: 'end', scan: summary, threats: job.threats });
    this.followers.delete(job.id);
    if (this.running.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    // A scan frees many short-lived buffers on several threads, which glibc keeps (the RSS of a
    // long-lived daemon would only grow): handed back once no scan runs, after the end event.
    if (this.running.size === 0) setImmediate(() => this.running.size === 0 && scanBatchBinding(this.d.native)?.releaseMemory());
  }

  private tick(): void {
    for (const [id, r] of this.running) if (this.followers.get(id)?.size) this.emit(id, { event: 'progress', scan: r.job.progress() });
  }

  private emit(id: string, ev: ScanEvent): void {
    const set = this.followers.get(id);
    if (!set) return;
    for (const f of set) {
      try {
        f(ev);
      } catch (e) {
        this.d.logger.warn({ scanId: id, err: errorMessage(e) }, 'scan follower failed; removed');
        set.delete(f);
      }
    }
  }

  /**
   * Follows a scan: running → `started` now, then events until `end`; finished → its `end`
   * at once. Returns the unsubscribe function.
   */
  follow(id: string, f: Follower): () => void {
    const r = this.running.get(id);
    if (!r) {
      const s = this.d.store.get(id);
      if (!s) throw new WdavError('WDAV_ERR_SCAN_NOT_FOUND', `No scan with id ${id}`);
      f({ event: 'end', scan: s, threats: this.d.store.threats(id) });
      return () => {};
    }
    let set = this.followers.get(id);
    if (!set) this.followers.set(id, (set = new Set()));
    if (set.size >= MAX_FOLLOWERS) throw new WdavError('WDAV_ERR_BUSY', `Too many clients follow scan ${id}`);
    set.add(f);
    f({ event: 'started', scan: r.job.progress() });
    return () => set!.delete(f);
  }

  get(id: string): { scan: ScanSummary | ScanProgress; threats: ScanThreat[] } {
    const r = this.running.get(id);
    if (r) return { scan: r.job.progress(), threats: [...r.job.threats] };
    const s = this.d.store.get(id);
    if (!s) throw new WdavError('WDAV_ERR_SCAN_NOT_FOUND', `No scan with id ${id}`);
    return { scan: s, threats: this.d.store.threats(id) };
  }

  /** Newest first; running scans show live counts. */
  list(limit: number): (ScanSummary | ScanProgress)[] {
    return this.d.store.list(limit).map((s) => this.running.get(s.id)?.job.progress() ?? s);
  }

  /**
   * `mdatp health --details features`: the running scans, the batches the limiter admitted
   * (on lanes or scanning) against its limit, and the engine's lanes as measured there.
   */
  features(lanes: LaneStats | null): Record<string, unknown> {
    return {
      running_scans: this.running.size,
      threads: this.d.config.settings.maximumOnDemandScanThreads,
      batches_admitted: this.limiter.inUse,
      batches_admitted_limit: this.limiter.limit,
      batches_in_javascript: this.limiter.tails,
      lanes,
    };
  }

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Cancels one scan, or every running scan when no id is given; returns the ids cancelled. */
  cancel(id?: string, reason = 'cancelled by request'): string[] {
    if (id !== undefined) {
      const r = this.running.get(id);
      if (!r) {
        if (this.d.store.get(id)) throw new WdavError('WDAV_ERR_CONFLICT', `Scan ${id} is not running`);
        throw new WdavError('WDAV_ERR_SCAN_NOT_FOUND', `No scan with id ${id}`);
      }
      r.job.cancel(reason);
      return [id];
    }
    const ids = [...this.running.keys()];
    for (const r of this.running.values()) r.job.cancel(reason);
    return ids;
  }

  /** Shutdown: cancels running scans and waits until their files are released and recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    const all = [...this.running.values()];
    for (const r of all) r.job.cancel('cancelled: the daemon is stopping');
    await Promise.all(all.map((r) => r.done));
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
