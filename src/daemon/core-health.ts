// src/daemon/core-health.ts — the health fields and diagnostic sections the daemon core owns:
// version, licence, log level, machine GUID, enforcement level, configuration problems,
// a database recreated at startup.
import type { Services } from './services.js';
import { appVersion } from '../shared/version.js';
import { integrityCheck } from '../store/db.js';
import { MAX_MANAGED_SIZE } from '../config/managed.js';
import { readTrusted } from '../shared/trust.js';

export function registerCoreHealth(s: Services, dbRecreatedFrom: string | null): void {
  const machineGuid = s.store.meta.machineGuid();
  s.health.register('core', () => {
    const st = s.config.settings;
    const issues = [...s.config.healthIssues()];
    if (dbRecreatedFrom) issues.push(`the database was corrupt and was recreated at startup; the damaged file is ${dbRecreatedFrom}`);
    return {
      fields: {
        licensed: true,
        app_version: appVersion(),
        log_level: s.logs.level,
        machine_guid: machineGuid,
        real_time_protection_enabled: st.enforcementLevel === 'real_time',
        passive_mode_enabled: st.enforcementLevel === 'passive',
        enforcement_level: st.enforcementLevel,
        automatic_definition_update_enabled: st.automaticDefinitionUpdateEnabled,
      },
      issues,
      settingOf: {
        real_time_protection_enabled: 'enforcementLevel',
        passive_mode_enabled: 'enforcementLevel',
        enforcement_level: 'enforcementLevel',
        automatic_definition_update_enabled: 'automaticDefinitionUpdateEnabled',
        log_level: 'logLevel',
      },
    };
  });

  s.diagnostics.set('versions.json', () => ({
    app_version: appVersion(),
    node: process.versions,
    platform: `${process.platform} ${process.arch}`,
    native_features: s.native.features,
    started_at: s.startedAt.toISOString(),
    pid: process.pid,
    uid: process.getuid?.(),
  }));
  s.diagnostics.set('health.json', () => {
    const out: Record<string, unknown> = { summary: s.health.report() };
    for (const g of s.health.detailGroups()) out[g] = s.health.report(g);
    return out;
  });
  s.diagnostics.set('config-effective.json', () => ({ settings: s.config.settings, managed: [...s.config.managedIds()], status: s.config.status() }));
  s.diagnostics.set('config-local.json', () => Object.fromEntries(s.store.settings.all()));
  s.diagnostics.set('config-managed-file.json', () => {
    const f = s.config.status().managedFile;
    if (!f) return { file: null };
    try {
      // Under the same rule and bound as the daemon's own read: never a FIFO, a device or 14 GB.
      return { file: f, content: readTrusted(f, MAX_MANAGED_SIZE).toString('utf8') };
    } catch (e) {
      return { file: f, error: (e as Error).message };
    }
  });
  s.diagnostics.set('options.json', () => s.options);
  s.diagnostics.set('database-check.json', () => ({ file: s.store.file, integrity_check: integrityCheck(s.store.db) }));
}
