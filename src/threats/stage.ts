// src/threats/stage.ts — the 'threats' daemon stage (after 'store', before the API opens):
// opens the threat service (quarantine directory, key, reconciliation of interrupted
// operations), returns it to the composition root, registers its health issues and the
// `recent-detections.json` diagnostic section, and runs retention at startup, on a timer and
// when the retention settings change. Shutdown waits for operations in flight.
// Owns wiring only.
import type { Started } from '../daemon/lifecycle.js';
import type { Core, Store } from '../daemon/services.js';
import type { SettingId } from '../config/managed-keys.js';
import { errorMessage } from '../shared/errors.js';
import { ThreatService } from './service.js';
import { StageHooks } from '../daemon/stage-hooks.js';

const RETENTION_SETTINGS: SettingId[] = ['scanResultsRetentionDays', 'scanHistoryMaximumItems'];

export async function startThreats(s: Core, store: Store): Promise<Started<ThreatService>> {
  const logger = s.logs.child('threats');
  const svc = await ThreatService.open({ db: store.db, stateDir: s.options.stateDir, config: s.config, localSettings: store.settings, logger, storage: store.storage });
  const prune = () => void svc.retention.prune().catch((e) => logger.error({ err: errorMessage(e), stack: (e as Error)?.stack }, 'retention pass failed'));
  const hooks = new StageHooks(s)
    .health('threats', () => ({ issues: svc.healthIssues() }))
    .diagnostic('recent-detections.json', () => ({ threats: svc.recent(100), quarantined: svc.quarantined(), allowed: svc.admin.allowedList() }))
    .onSettings(prune, RETENTION_SETTINGS);
  prune();
  svc.retention.start();
  return {
    service: svc,
    async stop() {
      hooks.remove();
      await svc.stop();
    },
  };
}
