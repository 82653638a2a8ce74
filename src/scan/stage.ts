// src/scan/stage.ts — the 'scans' daemon stage (after 'api'): on-demand scan manager and its
// history. Startup marks scans a crashed daemon left 'running' as failed and prunes history.
// Shutdown (reverse order: RTP stops first, then this, then the API closes) cancels running
// scans and waits until every file they opened is released and the end is recorded.
// Owns: wiring only. Must not: start scans by itself (the systemd timer runs `mdatp scan quick`).
import type { Started } from '../daemon/lifecycle.js';
import type { Core, Store } from '../daemon/services.js';
import type { ThreatService } from '../threats/service.js';
import type { ScanEngine } from '../engine/engine.js';
import type { SettingId } from '../config/managed-keys.js';
import { ScansStore } from '../store/scans.js';
import { ScanManager } from './manager.js';
import { StageHooks } from '../daemon/stage-hooks.js';
import { ThreatEvents } from '../threats/events.js';
import type { EngineStats } from '../engine/engine.js';

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

export function startScans(s: Core, store: Store, engine: ScanEngine, threats: ThreatService): Started<ScanManager> {
  const logger = s.logs.child('scan');
  const scans = new ScansStore(store.db);
  const interrupted = scans.failInterrupted('interrupted: the daemon stopped during the scan');
  if (interrupted > 0) logger.warn({ count: interrupted }, 'scans interrupted by an unclean daemon stop were marked failed');
  const manager = new ScanManager({
    native: s.native,
    queue: s.queue,
    config: s.config,
    store: scans,
    logger,
    engine: () => engine,
    threats: () => threats,
    events: new ThreatEvents(s.logs.child('threats')),
  });
  manager.prune();
  const hooks = new StageHooks(s)
    .onSettings(() => manager.refresh(), SETTINGS)
    .diagnostic('scans.json', () => ({ running: manager.runningIds(), recent: manager.list(20) }))
    .health('scans', () => ({ details: { features: { on_demand_scans: manager.features(engine.stats().onDemandLanes ?? null) } } }))
    .health('archives', () => ({ details: { features: { archives: archiveFeatures(engine.stats()) } } }));
  return {
    service: manager,
    async stop() {
      hooks.remove();
      await manager.stop();
    },
  };
}
