// src/scan/stage.ts — the 'scans' daemon stage (after 'api'): on-demand scan manager and its
// history. Startup marks scans a crashed daemon left 'running' as failed and prunes history.
// Shutdown (reverse order: RTP stops first, then this, then the API closes) cancels running
// scans and waits until every file they opened is released and the end is recorded.
// Owns: wiring only. Must not: start scans by itself (the systemd timer runs `mdatp scan quick`).
import type { Stage } from '../daemon/lifecycle.js';
import type { SettingId } from '../config/managed-keys.js';
import { ScansStore } from '../store/scans.js';
import { ScanManager } from './manager.js';
import { ThreatEvents } from '../threats/events.js';
import type { EngineStats } from '../engine/engine.js';

declare module '../daemon/services.js' {
  interface Services {
    /** Set by the 'scans' stage. */
    scans?: ScanManager;
  }
}

/**
 * `mdatp health --details features` → archives: what the archive walks of on-demand scans did
 * since the daemon started (docs/archives.md). Members not scanned are the ones a user must know
 * about: their archives were clean only as far as they could be looked into.
 */
function archiveFeatures(st: EngineStats | undefined): Record<string, number> | null {
  if (!st) return null;
  return {
    proven_native: st.archivesProvenNative,
    walked: st.archivesWalked,
    members_unscanned: st.archiveMembersUnscanned,
    files_with_unscanned_members: st.archivesWithUnscannedMembers,
    limits_exceeded: st.archiveLimitsExceeded,
  };
}

const SETTINGS: SettingId[] = ['maximumOnDemandScanThreads', 'scanHistoryMaximumItems', 'scanResultsRetentionDays'];

export const scansStage: Stage = {
  name: 'scans',
  start(s) {
    const logger = s.logs.child('scan');
    const store = new ScansStore(s.store.db);
    const interrupted = store.failInterrupted('interrupted: the daemon stopped during the scan');
    if (interrupted > 0) logger.warn({ count: interrupted }, 'scans interrupted by an unclean daemon stop were marked failed');
    const manager = new ScanManager({
      native: s.native,
      queue: s.queue,
      config: s.config,
      store,
      logger,
      // Read at call time: the engine and the threat service are set by their own stages.
      engine: () => s.engine,
      threats: () => s.threats,
      events: new ThreatEvents(s.logs.child('threats')),
    });
    manager.prune();
    s.config.on('change', (changed: SettingId[]) => {
      if (changed.some((c) => SETTINGS.includes(c))) manager.refresh();
    });
    s.diagnostics.set('scans.json', () => ({ running: manager.runningIds(), recent: manager.list(20) }));
    s.health.register('scans', () => ({ details: { features: { on_demand_scans: manager.features(s.engine?.stats().onDemandLanes ?? null) } } }));
    s.health.register('archives', () => ({ details: { features: { archives: archiveFeatures(s.engine?.stats()) } } }));
    s.scans = manager;
  },
  async stop(s) {
    await s.scans?.stop();
  },
};
