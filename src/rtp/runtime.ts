// src/rtp/runtime.ts — real-time protection as a daemon component: the selected backend kept in
// step with the configuration at run time (enforcement real_time ⇒ monitoring; on_demand or
// passive ⇒ stopped, no restart), clean caches flushed when definitions, exclusions or
// verdict-relevant settings change, conflicting fanotify listeners re-checked periodically,
// and what `mdatp health` and the diagnostics commands show. Owns: that wiring and its timers.
// Must not: scan, answer the kernel, or change settings.
import type { SettingId } from '../config/managed-keys.js';
import type { HealthContribution } from '../daemon/health.js';
import type { ScanQueue } from '../scan/queue.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { describeApps, findConflictingApps, type ConflictingApp } from './conflicts.js';
import { HotSources, type HotKind, type HotReport } from './hot-sources.js';
import type { RtpPipeline } from './pipeline.js';
import type { Selection } from './select.js';
import type { ProcessStatsRow } from './stats.js';

/** Settings whose change can make a cached clean verdict wrong. */
const FLUSH_ON: SettingId[] = ['exclusions', 'threatTypeSettings', 'allowedThreats', 'wdavdaemon.rtpMaxFileSize', 'enableFileHashComputation'];
const RECONFIGURE_ON: SettingId[] = ['unmonitoredFilesystems', 'nonExecMountPolicy', 'wdavdaemon.rtpTimeoutMs', 'wdavdaemon.rtpDefaultResponse'];
export const CONFLICT_CHECK_MS = 30_000;

/** The daemon's memory in MiB (RTP's caches are bounded; this shows what the whole process holds). */
function memoryMb(): Record<string, number> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
}

export class RtpRuntime {
  private conflicts: ConflictingApp[] = [];
  private conflictTimer: NodeJS.Timeout | null = null;
  private transition: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    readonly pipeline: RtpPipeline,
    readonly selection: Selection,
    private readonly queue: ScanQueue,
    private readonly logger: Logger<'verbose'>,
  ) {}

  get backend() {
    return this.selection.backend;
  }

  private get enforcement() {
    return this.pipeline.settings.enforcementLevel;
  }

  async start(): Promise<void> {
    await this.applyEnforcement();
    if (this.backend) {
      await this.checkConflicts();
      this.conflictTimer = setInterval(() => void this.checkConflicts(), CONFLICT_CHECK_MS);
      this.conflictTimer.unref();
    }
  }

  /** Serialised: a quick enable/disable/enable sequence ends in the last requested state. */
  private applyEnforcement(): Promise<void> {
    const run = async () => {
      const b = this.backend;
      if (!b || this.stopped) return;
      const on = this.enforcement === 'real_time';
      try {
        await b.setEnabled(on);
      } catch (e) {
        this.logger.error({ err: errorMessage(e), enable: on }, 'real-time protection could not change state');
      }
    };
    this.transition = this.transition.then(run, run);
    return this.transition;
  }

  onSettingsChanged(changed: SettingId[]): void {
    const b = this.backend;
    if (changed.includes('exclusions')) this.pipeline.refreshExclusions();
    if (changed.includes('enforcementLevel')) {
      this.logger.info({ enforcementLevel: this.enforcement }, 'enforcement level changed');
      void this.applyEnforcement();
    }
    if (changed.some((c) => RECONFIGURE_ON.includes(c))) b?.reconfigure();
    if (changed.some((c) => FLUSH_ON.includes(c))) {
      if (b) b.flush(`settings changed: ${changed.join(', ')}`);
      else this.pipeline.flush();
    }
  }

  onDefinitionsChanged(): void {
    if (this.backend) this.backend.flush('definitions changed');
    else this.pipeline.flush();
  }

  private async checkConflicts(): Promise<void> {
    try {
      const found = await findConflictingApps();
      const before = new Set(describeApps(this.conflicts));
      const fresh = describeApps(found).filter((d) => !before.has(d));
      this.conflicts = found;
      if (fresh.length) this.logger.warn({ applications: describeApps(found) }, 'other applications hold fanotify permission listeners (conflicting applications): both scan every access, and either can delay the other');
    } catch (e) {
      this.logger.warn({ err: errorMessage(e) }, 'could not look for conflicting applications');
    }
  }

  health(): HealthContribution {
    const b = this.backend;
    const st = b?.status();
    const wanted = this.enforcement === 'real_time';
    const available = !!b && (!wanted || !!st?.active);
    const issues = [...(this.selection.issue ? [this.selection.issue] : []), ...(wanted && st ? st.issues : [])];
    const p = this.pipeline;
    return {
      fields: {
        real_time_protection_available: available,
        real_time_protection_subsystem: available ? b!.subsystem : 'unavailable',
        real_time_protection_subsystem_reason: this.selection.reason,
        conflicting_applications: describeApps(this.conflicts),
      },
      issues,
      details: {
        features: {
          real_time_protection_subsystem: available ? b!.subsystem : 'unavailable',
          real_time_protection_subsystem_reason: this.selection.reason,
          real_time_protection_active: !!st?.active,
          ...(st?.features ?? {}),
          real_time_protection_counters: { ...p.counters },
          real_time_protection_verdict_cache: { ...p.cache.stats() },
          real_time_protection_process_cache: { entries: p.processes.size },
          real_time_protection_statistics_processes: p.stats.size,
          scan_queue: { ...this.queue.stats() } as unknown as Record<string, unknown>,
          daemon_memory_mb: memoryMb(),
          conflicting_applications: describeApps(this.conflicts),
        },
      },
    };
  }

  statistics(opts: { sort?: boolean; top?: number }): ProcessStatsRow[] {
    const procs = this.pipeline.processes;
    return this.pipeline.stats.rows((pid, start) => {
      const now = procs.lookup(pid, true);
      return now.startTime !== 0 && now.startTime === start;
    }, opts);
  }

  hotSources(kind: HotKind, seconds: number, top: number): HotReport {
    return this.pipeline.hot.report(kind, Math.min(seconds, HotSources.maxSeconds), top);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.conflictTimer) clearInterval(this.conflictTimer);
    this.conflictTimer = null;
    await this.transition;
    await this.backend?.stop();
  }
}
