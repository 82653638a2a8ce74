// src/threats/stage.ts — the 'threats' daemon stage (after 'store', before the API opens):
// opens the threat service (quarantine directory, key, reconciliation of interrupted
// operations), exposes it as services.threats, registers its health issues and the
// `recent-detections.json` diagnostic section, and runs retention at startup, on a timer and
// when the retention settings change. Shutdown waits for operations in flight.
// Owns wiring only.
import type { Stage } from '../daemon/lifecycle.js';
import type { SettingId } from '../config/managed-keys.js';
import { errorMessage } from '../shared/errors.js';
import { ThreatService } from './service.js';

const RETENTION_SETTINGS: SettingId[] = ['scanResultsRetentionDays', 'scanHistoryMaximumItems'];
let onChange: ((changed: SettingId[]) => void) | null = null;

export const threatsStage: Stage = {
  name: 'threats',
  async start(s) {
    const logger = s.logs.child('threats');
    const svc = await ThreatService.open({ db: s.store.db, stateDir: s.options.stateDir, config: s.config, localSettings: s.store.settings, logger, storage: s.store.storage });
    s.threats = svc;
    s.health.register('threats', () => ({ issues: svc.healthIssues() }));
    s.diagnostics.set('recent-detections.json', () => ({ threats: svc.recent(100), quarantined: svc.quarantined(), allowed: svc.admin.allowedList() }));
    const prune = () => void svc.retention.prune().catch((e) => logger.error({ err: errorMessage(e) }, 'retention pass failed'));
    onChange = (changed) => {
      if (changed.some((c) => RETENTION_SETTINGS.includes(c))) prune();
    };
    s.config.on('change', onChange);
    prune();
    svc.retention.start();
  },
  async stop(s) {
    if (onChange) s.config.off('change', onChange);
    onChange = null;
    await s.threats?.stop();
  },
};
