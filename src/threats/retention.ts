// src/threats/retention.ts — retention of threat history (scanResultsRetentionDays,
// scanHistoryMaximumItems): records last seen before the cutoff, and the oldest beyond the
// maximum count, are deleted; a quarantined file of a pruned record is deleted first (logged
// as a removal). Other components keep their own history under the same settings by
// registering a hook (the on-demand scans' table is theirs): `addHook(name, fn)`; every
// pass calls every hook with the same cutoff and maximum. Runs at startup and on a timer.
// Owns the pass and its schedule. Must not: prune other components' tables itself.
import type { Logger } from '../shared/logger.js';
import { errorMessage } from '../shared/errors.js';
import type { Settings } from '../config/settings.js';
import type { QuarantineStore } from '../store/quarantine.js';
import type { ThreatsStore } from '../store/threats.js';
import type { ThreatEvents } from './events.js';
import type { KeyedMutex } from './keyed-mutex.js';

/** What a pass needs of the threat service (ThreatService is one), named here so this module
 * does not import service.ts, which builds it. */
export interface RetentionHost {
  readonly settings: Settings;
  readonly threats: Pick<ThreatsStore, 'expired' | 'delete'>;
  readonly rows: Pick<QuarantineStore, 'get'>;
  readonly locks: Pick<KeyedMutex, 'run'>;
  readonly events: Pick<ThreatEvents, 'emit'>;
  quarantineRemoveLocked(id: string, detail: string): Promise<void>;
}

export interface RetentionLimits {
  /** Epoch ms: records last seen before this are expired. */
  cutoff: number;
  /** Keep at most this many records. */
  maxItems: number;
}

export type RetentionHook = (limits: RetentionLimits) => number | Promise<number>;

export interface PruneReport {
  limits: RetentionLimits;
  threats: number;
  quarantineFiles: number;
  hooks: Record<string, number | string>;
}

export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const BATCH = 500;

export class Retention {
  private readonly hooks = new Map<string, RetentionHook>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneReport> | null = null;

  constructor(
    private readonly svc: RetentionHost,
    private readonly logger: Logger<'verbose'>,
  ) {}

  addHook(name: string, fn: RetentionHook): void {
    this.hooks.set(name, fn);
  }

  limits(now = Date.now()): RetentionLimits {
    const s = this.svc.settings;
    return { cutoff: now - s.scanResultsRetentionDays * 86_400_000, maxItems: s.scanHistoryMaximumItems };
  }

  /** One pass; concurrent calls share the pass in progress. */
  prune(now = Date.now()): Promise<PruneReport> {
    this.running ??= this.pass(this.limits(now)).finally(() => (this.running = null));
    return this.running;
  }

  private async pass(limits: RetentionLimits): Promise<PruneReport> {
    const report: PruneReport = { limits, threats: 0, quarantineFiles: 0, hooks: {} };
    for (;;) {
      const ids = this.svc.threats.expired(limits.cutoff, limits.maxItems, BATCH);
      let progress = 0;
      for (const id of ids) {
        const done = await this.svc.locks.run(id, async () => {
          const q = this.svc.rows.get(id);
          if (q && q.state !== 'quarantined') return false; // an interrupted operation: reconciliation's
          if (q) {
            await this.svc.quarantineRemoveLocked(id, 'retention');
            report.quarantineFiles++;
          }
          return this.svc.threats.delete(id);
        });
        if (done) progress++;
      }
      report.threats += progress;
      if (ids.length < BATCH || progress === 0) break;
    }
    for (const [name, hook] of this.hooks) {
      try {
        report.hooks[name] = await hook(limits);
      } catch (e) {
        report.hooks[name] = `failed: ${errorMessage(e)}`;
        this.logger.error({ hook: name, err: errorMessage(e) }, 'retention hook failed');
      }
    }
    if (report.threats > 0 || Object.values(report.hooks).some((v) => v !== 0)) {
      this.svc.events.emit('threats_pruned', 'prune', 'success', { pruned: report.threats, quarantineFiles: report.quarantineFiles, hooks: report.hooks, cutoff: new Date(limits.cutoff).toISOString(), maxItems: limits.maxItems }, `retention: ${report.threats} threat records pruned`);
    }
    return report;
  }

  start(intervalMs = RETENTION_INTERVAL_MS): void {
    this.stop();
    this.timer = setInterval(() => {
      this.prune().catch((e) => this.logger.error({ err: errorMessage(e) }, 'retention pass failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Waits for a pass in progress. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
