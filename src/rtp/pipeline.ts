// src/rtp/pipeline.ts — the decision path shared by both RTP backends (issue 5, item 3):
// exclusions (path, folder, wildcards, extension; process by name or executable) → size limit
// → verdict cache (or join the scan of the same file version already running) → bounded queue
// (real-time lane refused when full; after-write scans take the on-demand lane and wait) →
// engine, reading through the event's fd → policy (`decide`) → threat service AFTER the caller
// answered the kernel. The caller (a backend) answers; this module never talks to the kernel.
// Owns: the matcher, caches, statistics and counters of real-time protection.
// Must not: respond to fanotify, close fds it did not open, or block on remediation.
import type { Settings } from '../config/settings.js';
import type { ScanEngine } from '../engine/engine.js';
import type { ScanContext, ScanResult } from '../engine/types.js';
import { ExclusionMatcher } from '../scan/exclusions.js';
import type { ScanQueue } from '../scan/queue.js';
import type { Logger } from '../shared/logger.js';
import { errorMessage } from '../shared/errors.js';
import { decide, type PolicyDecision } from '../threats/policy.js';
import type { ThreatEvents } from '../threats/events.js';
import { emitScanTimeout } from '../scan/timeout-event.js';
import { sha256OfFd } from '../threats/safe-fs.js';
import type { DetectionSource, ThreatHandler } from '../threats/types.js';
import { HotSources } from './hot-sources.js';
import type { EventPath } from './paths.js';
import { ProcessInfoCache, type ProcessIdentity } from './process-info.js';
import { ProcessStats } from './stats.js';
import { VerdictCache, identityKey, type CachedVerdict, type FileIdentity } from './verdict-cache.js';

export interface ThreatSink extends ThreatHandler {
  isAllowed(name: string, sha256?: string | null): boolean;
}

export interface PipelineDeps {
  config: { readonly settings: Settings };
  queue: ScanQueue;
  engine(): ScanEngine | undefined;
  threats(): ThreatSink | undefined;
  logger: Logger<'verbose'>;
  /** Where scan_timeout records go (the threat events' logger). */
  events?: ThreatEvents;
}

/**
 * Time kept back from a real-time event's deadline for answering after the scan: a tenth of
 * rtpTimeoutMs, between 100 ms and 1 s (500 ms for the default 5 s).
 */
export function answerReserveMs(rtpTimeoutMs: number): number {
  return Math.min(1000, Math.max(100, Math.round(rtpTimeoutMs / 10)));
}

export type Skip = 'excluded_path' | 'excluded_process' | 'empty' | 'too_large';
export type Verdict = ScanResult | CachedVerdict;
export type Detected = Extract<Verdict, { kind: 'detected' }>;

/** A real-time scan whose event was answered natively (deadline) before it could start. */
export class DeadlinePassed extends Error {
  constructor() {
    super('the verdict deadline passed while the event waited in the queue');
  }
}

export interface RtpCounters {
  excludedPath: number;
  excludedProcess: number;
  empty: number;
  tooLarge: number;
  cacheHits: number;
  joined: number;
  scanned: number;
  clean: number;
  detected: number;
  skipped: number;
  errors: number;
  queueFull: number;
  deadlinePassed: number;
  reported: number;
  reportFailed: number;
  /** Scans whose YARA part ended at the time limit (allowed on the other engines' verdict). */
  scanTimeouts: number;
}

export interface Judgement {
  decision: PolicyDecision;
  sha256: string | null;
  size: number | null;
  /** Real uid of the process that caused the event, when known. */
  uid?: number | undefined;
}

export class RtpPipeline {
  readonly processes = new ProcessInfoCache();
  readonly stats = new ProcessStats();
  readonly hot = new HotSources();
  readonly cache = new VerdictCache();
  readonly counters: RtpCounters = {
    excludedPath: 0, excludedProcess: 0, empty: 0, tooLarge: 0, cacheHits: 0, joined: 0, scanned: 0, clean: 0, detected: 0,
    skipped: 0, errors: 0, queueFull: 0, deadlinePassed: 0, reported: 0, reportFailed: 0, scanTimeouts: 0,
  };
  private matcher: ExclusionMatcher;

  constructor(readonly deps: PipelineDeps) {
    this.matcher = new ExclusionMatcher(deps.config.settings.exclusions);
  }

  get settings(): Settings {
    return this.deps.config.settings;
  }

  /** Exclusions changed: recompile (the caller also flushes). */
  refreshExclusions(): void {
    this.matcher = new ExclusionMatcher(this.settings.exclusions);
  }

  flush(): void {
    this.cache.flush();
  }

  /** The process behind an event; re-validated against /proc whenever process exclusions exist. */
  process(pid: number): ProcessIdentity {
    return this.processes.lookup(pid, this.matcher.hasProcessRules);
  }

  /** Why this event needs no scan, or null. */
  precheck(path: EventPath, proc: ProcessIdentity | null, size: number): Skip | null {
    return this.excluded(path, proc) ?? this.sizeSkip(size);
  }

  /** The exclusion (path, folder, extension, process) that covers this event, or null. */
  excluded(path: EventPath, proc: ProcessIdentity | null): 'excluded_path' | 'excluded_process' | null {
    if (this.matcher.matchFile(path.text)) {
      this.counters.excludedPath++;
      return 'excluded_path';
    }
    if (proc && this.matcher.hasProcessRules && this.matcher.matchProcess(proc.name, proc.exe)) {
      this.counters.excludedProcess++;
      return 'excluded_process';
    }
    return null;
  }

  /** An empty file has nothing to match; one above rtpMaxFileSize is not scanned in real time. */
  sizeSkip(size: number): 'empty' | 'too_large' | null {
    if (size === 0) {
      this.counters.empty++;
      return 'empty';
    }
    const max = this.settings.wdavdaemon.rtpMaxFileSize;
    if (max > 0 && size > max) {
      this.counters.tooLarge++;
      return 'too_large';
    }
    return null;
  }

  /**
   * The engine's verdict on this version of the file: from the cache, from a scan of the same
   * version already running, or from a new scan through the queue. Rejects with QueueFullError
   * (real-time lane full) or DeadlinePassed.
   */
  async verdict(
    file: FileIdentity,
    fd: number,
    opts: { lane: 'real_time' | 'background'; origin: ScanContext['origin']; proc: ProcessIdentity | null; deadline?: number; path?: EventPath },
  ): Promise<Verdict> {
    const engine = this.deps.engine();
    if (!engine) throw new Error('the scan engine is not running');
    const key = identityKey(file, engine.generation);
    const hit = this.cache.get(key);
    if (hit) {
      this.counters.cacheHits++;
      return this.count(hit);
    }
    const running = this.cache.running(key);
    if (running) {
      this.counters.joined++;
      return this.count(await running);
    }
    const s = this.settings;
    const task = async (): Promise<ScanResult> => {
      const now = Date.now();
      if (opts.deadline !== undefined && now > opts.deadline) {
        this.counters.deadlinePassed++;
        throw new DeadlinePassed();
      }
      const w = s.wdavdaemon;
      // After-write scans have no event waiting, but an open may join them: the same budget.
      const due = (opts.deadline ?? now + w.rtpTimeoutMs) - answerReserveMs(w.rtpTimeoutMs);
      const ctx: ScanContext = {
        origin: opts.origin, scanArchives: false, maxFileSize: w.rtpMaxFileSize, computeHash: s.enableFileHashComputation,
        timeLimitMs: w.scanTimeLimitMs, deadline: due,
      };
      const t0 = process.hrtime.bigint();
      const r = await engine.scan(opts.path ? { fd, path: opts.path.text } : { fd }, ctx);
      this.counters.scanned++;
      if (opts.proc) this.stats.record(opts.proc, process.hrtime.bigint() - t0);
      if (r.kind === 'clean' && r.scanTimeout) this.timedOut(r.scanTimeout.limitMs, opts);
      return r;
    };
    const q = this.deps.queue;
    const r = await this.cache.track(key, () => (opts.lane === 'real_time' ? q.tryAdd(task) : q.add(task)));
    return this.count(r);
  }

  private timedOut(limitMs: number, opts: { origin: ScanContext['origin']; proc: ProcessIdentity | null; path?: EventPath }): void {
    this.counters.scanTimeouts++;
    if (!this.deps.events) return;
    const p = opts.proc;
    const uid = p ? (this.processes.uid(p.pid) ?? null) : null;
    emitScanTimeout(this.deps.events, {
      path: opts.path?.text ?? '(unknown)',
      source: opts.origin,
      limitMs,
      process: p ? { pid: p.pid, name: p.name, executable: p.exe, uid } : null,
      user: uid,
    });
  }

  private count(v: Verdict): Verdict {
    if (v.kind === 'clean') this.counters.clean++;
    else if (v.kind === 'detected') this.counters.detected++;
    else if (v.kind === 'skipped') this.counters.skipped++;
    else this.counters.errors++;
    return v;
  }

  /** Policy for a detection (computed before answering the kernel); sha256 feeds the allow list. */
  async judge(d: Detected, fd: number, pid: number | null): Promise<Judgement> {
    // Read before answering: a denied process often exits right after.
    const uid = pid !== null ? this.processes.uid(pid) : undefined;
    let sha256 = d.sha256 ?? null;
    let size: number | null = null;
    if (!sha256) {
      try {
        ({ sha256, size } = await sha256OfFd(fd));
      } catch {
        // Unreadable now: the name alone decides.
      }
    }
    const allowed = this.deps.threats()?.isAllowed(d.name, sha256) ?? false;
    return { decision: decide(this.settings, d, allowed), sha256, size, uid };
  }

  /** Hands a detection to the threat service (after the kernel got its answer). `fd` stays the caller's. */
  async report(d: Detected, ev: { path: EventPath; fd: number; pid: number | null; source: DetectionSource; blocked: boolean; judgement: Judgement }): Promise<void> {
    const proc = ev.pid !== null ? this.processes.lookup(ev.pid) : null;
    const { sha256, size, uid } = ev.judgement;
    this.deps.logger.warn(
      { path: ev.path.text, threat: d.name, threatType: d.threatType, source: ev.source, blocked: ev.blocked, processId: ev.pid, process: proc?.name ?? null, executable: proc?.exe ?? null },
      `real-time protection detected ${d.name} in ${ev.path.text}`,
    );
    const threats = this.deps.threats();
    if (!threats) return;
    try {
      await threats.handle({
        name: d.name, threatType: d.threatType, path: ev.path.text, ...(ev.path.raw ? { rawPath: ev.path.raw } : {}),
        ...(sha256 ? { sha256 } : {}), ...(size !== null ? { size } : {}), fd: ev.fd, source: ev.source,
        blocked: ev.blocked, engine: d.engine,
        ...(ev.pid !== null ? { process: { pid: ev.pid, ...(proc?.name ? { name: proc.name } : {}), ...(proc?.exe ? { executable: proc.exe } : {}), ...(uid !== undefined ? { uid } : {}) } } : {}),
      });
      this.counters.reported++;
    } catch (e) {
      this.counters.reportFailed++;
      this.deps.logger.error({ path: ev.path.text, threat: d.name, err: errorMessage(e) }, 'the threat service did not take the detection');
    }
  }
}
